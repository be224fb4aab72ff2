//! What `check` decided about each object: the judgement, shared by the judge
//! ([`super::judge`]) and the renderers ([`super::render`]).

use crate::input::Origin;
use flink_autoscale_rules::Verdict;

/// The judgement on one object.
#[derive(Debug, Clone)]
pub struct ObjectReport {
    pub origin: Origin,
    pub api_version: String,
    pub kind: String,
    /// The namespace the object was judged in: its own, else `-n`, else `default`.
    /// `None` for an object that has none and that no rule looks at; it may well be
    /// cluster-scoped (a ClusterRole, a CRD), and `check` has no discovery to tell.
    pub namespace: Option<String>,
    pub name: String,
    /// Whether the rules judge this kind at all (see [`judged_kind`]).
    pub checked: bool,
    pub verdict: Verdict,
    /// The mutating webhook's RFC 6902 patch for this object (empty for most), and
    /// one line per operation saying which rule added what. The verdict judges the
    /// object after the patch, as the API server runs validation after mutation.
    pub patch: json_patch::Patch,
    pub changes: Vec<String>,
}

impl ObjectReport {
    pub fn allowed(&self) -> bool {
        self.verdict.allowed()
    }

    /// Shown as "not checked": no rules for the kind and nothing found. An object of
    /// such a kind that does get a finding (the rules grew before this list did) is
    /// reported like any other, so no finding is ever hidden.
    pub fn unchecked(&self) -> bool {
        !self.checked && self.verdict.findings.is_empty() && self.verdict.notes.is_empty()
    }
}

/// Everything `check` found, in input order.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub objects: Vec<ObjectReport>,
    /// True in `--enforcement warn`, where denials were turned into warnings.
    pub audit_mode: bool,
}

impl Report {
    /// Admitted when no object would be denied.
    pub fn allowed(&self) -> bool {
        self.objects.iter().all(ObjectReport::allowed)
    }

    /// 0 when every object would be admitted, 1 when any would be denied.
    pub fn exit_code(&self) -> u8 {
        if self.allowed() { 0 } else { 1 }
    }
}
