//! AdmissionReview in, AdmissionReview out. [`decode`] turns a request body into
//! kube's typed [`AdmissionRequest`], refusing malformed input with a message that
//! names the field; [`validate`] and [`mutate`] decide, knowing nothing about HTTP.

use crate::error::{BadReviewReason, Error};
use crate::review_object::{self, ReviewObject};
use flink_autoscale_rules::object::Kind;
use flink_autoscale_rules::{
    ClusterState, Enforcement, Finding, ReviewInput, RuleSettings, review,
};
use k8s_openapi::api::authentication::v1::UserInfo;
use kube::core::admission::{
    AdmissionRequest, AdmissionResponse, META_API_VERSION_V1, META_KIND, Operation,
};
use kube::core::{GroupVersionKind, GroupVersionResource, Status, TypeMeta};
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;

/// The outcome of one admission request, with what the metrics and logs need.
#[derive(Debug)]
pub struct Decision {
    pub response: AdmissionResponse,
    /// Every finding the rules reported (after enforcement), for the metrics.
    pub findings: Vec<Finding>,
    pub patched: bool,
}

impl Decision {
    fn untouched(request: &AdmissionRequest<ReviewObject>) -> Self {
        Decision {
            response: AdmissionResponse::from(request),
            findings: Vec::new(),
            patched: false,
        }
    }
}

fn bad(reason: BadReviewReason, message: impl Into<String>) -> Error {
    Error::bad_review(reason, message)
}

/// The name of a JSON value's type, for messages.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Decodes an `admission.k8s.io/v1` AdmissionReview. The envelope is checked by hand
/// first so the common mistakes get a plain message; the rest goes through kube's
/// types, with the path of the offending field.
pub fn decode(body: &[u8]) -> Result<AdmissionRequest<ReviewObject>, Error> {
    match decode_well_formed(body) {
        Some(request) => Ok(request),
        None => decode_checked(body),
    }
}

/// The common case in one pass: the bytes straight into the fields the webhook
/// reads, then the envelope checked on them. `None` for anything [`decode_checked`]
/// might refuse (it then says why); for what both accept they give the same request
/// (the `admission_review` fuzz target checks that). The checked path builds a JSON
/// tree first and tracks field paths, which costs about as much as the rules themselves.
fn decode_well_formed(body: &[u8]) -> Option<AdmissionRequest<ReviewObject>> {
    // serde_json skips the strings of fields the envelope ignores without checking
    // their UTF-8; the checked path refuses such bodies, so they go there (found by
    // the admission_review fuzz target).
    std::str::from_utf8(body).ok()?;
    let review: Envelope = serde_json::from_slice(body).ok()?;
    if review.api_version != META_API_VERSION_V1 || review.kind != META_KIND {
        return None;
    }
    let request = review.request?;
    if matches!(request.operation, Operation::Create | Operation::Update)
        && request.object.is_none()
    {
        return None;
    }
    Some(request.into_admission_request())
}

/// An AdmissionReview as the webhook reads it: the envelope's type and the request.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a> {
    #[serde(borrow)]
    api_version: Cow<'a, str>,
    #[serde(borrow)]
    kind: Cow<'a, str>,
    request: Option<Request>,
}

/// The fields of `request` a decision reads. The rest (`options`, `requestKind`,
/// `requestResource`, `requestSubResource`, the contents of `userInfo`) is skipped
/// unbuilt: no rule reads it and its size is the client's choice. Both decodes read
/// this type, so they accept the same fields and give the same request.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    uid: String,
    kind: GroupVersionKind,
    resource: GroupVersionResource,
    #[serde(default)]
    sub_resource: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: Option<String>,
    operation: Operation,
    /// Required and an object, as in kube's type (a malformed one is refused), but
    /// not built: no rule reads who asked.
    #[serde(
        rename = "userInfo",
        deserialize_with = "review_object::skipped_object"
    )]
    _user_info: (),
    #[serde(default)]
    object: Option<ReviewObject>,
    #[serde(default, deserialize_with = "review_object::old_object")]
    old_object: Option<ReviewObject>,
    #[serde(default)]
    dry_run: bool,
}

impl Request {
    /// kube's request type, which the rest of the webhook speaks, with what was
    /// skipped left empty.
    fn into_admission_request(self) -> AdmissionRequest<ReviewObject> {
        AdmissionRequest {
            types: TypeMeta {
                api_version: META_API_VERSION_V1.into(),
                kind: META_KIND.into(),
            },
            uid: self.uid,
            kind: self.kind,
            resource: self.resource,
            sub_resource: self.sub_resource,
            request_kind: None,
            request_resource: None,
            request_sub_resource: None,
            name: self.name,
            namespace: self.namespace,
            operation: self.operation,
            user_info: UserInfo::default(),
            object: self.object,
            old_object: self.old_object,
            dry_run: self.dry_run,
            options: None,
        }
    }
}

/// [`decode`] without the fast path: every check in turn, each failure with a
/// message naming the field. Public for the fuzz target that compares the two.
#[doc(hidden)]
pub fn decode_checked(body: &[u8]) -> Result<AdmissionRequest<ReviewObject>, Error> {
    use BadReviewReason::*;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(bad(
            EmptyBody,
            "request body is empty; expected an AdmissionReview (admission.k8s.io/v1) as JSON",
        ));
    }
    // Pruned as the fast path prunes: what no rule reads is skipped (at any depth)
    // and what is built is bounded, so a body that fails the fast path cannot cost
    // more memory here.
    let value: Value = review_object::parse_pruned(
        body,
        review_object::SKIPPED_IN_REVIEW,
        // Two objects and the envelope around them.
        2 * review_object::MAX_VALUES + 10_000,
    )
    .map_err(|e| {
        if e.to_string().contains(review_object::TOO_MANY_VALUES) {
            bad(TooLarge, format!("request body {e}"))
        } else {
            bad(NotJson, format!("request body is not valid JSON: {e}"))
        }
    })?;
    let Value::Object(envelope) = &value else {
        return Err(bad(
            NotAnObject,
            format!(
                "request body is {}; expected an AdmissionReview object",
                type_name(&value)
            ),
        ));
    };
    match envelope.get("apiVersion") {
        Some(Value::String(v)) if v == META_API_VERSION_V1 => {}
        Some(Value::String(v)) => {
            return Err(bad(
                WrongApiVersion,
                format!(
                    "apiVersion: {v:?} is not supported; expected {META_API_VERSION_V1:?} \
                     (set admissionReviewVersions: [v1] in the webhook configuration)"
                ),
            ));
        }
        Some(other) => {
            return Err(bad(
                WrongApiVersion,
                format!(
                    "apiVersion: is {}; expected the string {META_API_VERSION_V1:?}",
                    type_name(other)
                ),
            ));
        }
        None => {
            return Err(bad(
                WrongApiVersion,
                format!("apiVersion: missing; expected {META_API_VERSION_V1:?}"),
            ));
        }
    }
    match envelope.get("kind") {
        Some(Value::String(k)) if k == META_KIND => {}
        Some(other) => {
            return Err(bad(
                WrongKind,
                format!("kind: {other} is not supported; expected {META_KIND:?}"),
            ));
        }
        None => {
            return Err(bad(
                WrongKind,
                format!("kind: missing; expected {META_KIND:?}"),
            ));
        }
    }
    let request = match envelope.get("request") {
        None | Some(Value::Null) => {
            return Err(bad(
                MissingRequest,
                "request: missing; an AdmissionReview sent to a webhook carries the request to judge",
            ));
        }
        Some(Value::Object(request)) => request,
        Some(other) => {
            return Err(bad(
                InvalidField,
                format!("request: is {}; expected an object", type_name(other)),
            ));
        }
    };
    if let Some(Value::String(op)) = request.get("operation")
        && (op == "CREATE" || op == "UPDATE")
    {
        match request.get("object") {
            Some(Value::Object(_)) => {}
            None => {
                return Err(bad(
                    BadObject,
                    format!("request.object: missing; a {op} request must carry the object"),
                ));
            }
            Some(other) => {
                return Err(bad(
                    BadObject,
                    format!(
                        "request.object: is {}; a {op} request must carry the object as a JSON object",
                        type_name(other)
                    ),
                ));
            }
        }
    }
    let mut value = value;
    let request = value
        .as_object_mut()
        .and_then(|envelope| envelope.remove("request"))
        .unwrap_or_default();
    let request: Request = serde_path_to_error::deserialize(request).map_err(|e| {
        let path = match e.path().to_string() {
            p if p == "." => "request".to_string(),
            p => format!("request.{p}"),
        };
        let inner = e.into_inner();
        if inner.to_string().contains(review_object::TOO_MANY_VALUES) {
            bad(TooLarge, format!("{path}: {inner}"))
        } else {
            bad(InvalidField, format!("{path}: {inner}"))
        }
    })?;
    Ok(request.into_admission_request())
}

/// The kind under review, from the request (the object may omit it).
pub fn kind_of(request: &AdmissionRequest<ReviewObject>) -> Kind {
    Kind::of(&request.kind.group, &request.kind.kind)
}

/// Judges a request for `/validate`.
///
/// Allowed untouched: DELETE and CONNECT (nothing to judge), subresource writes
/// (`status` is the operator's, `scale` the autoscaler's; the spec was judged when it
/// was written), objects being deleted (refusing the update that removes a
/// finalizer would make them undeletable) and kinds the rules do not cover yet.
///
/// An UPDATE that leaves `spec` as it was is judged in warn mode: objects created
/// before a rule existed stay editable (labels, annotations, finalizers) and are told
/// what to fix instead of being locked.
pub fn validate(
    request: &AdmissionRequest<ReviewObject>,
    settings: &RuleSettings,
    cluster: Option<&dyn ClusterState>,
) -> Result<Decision, Error> {
    if matches!(request.operation, Operation::Delete | Operation::Connect)
        || request.sub_resource.is_some()
    {
        return Ok(Decision::untouched(request));
    }
    if kind_of(request) == Kind::Other {
        return Ok(Decision::untouched(request));
    }
    let Some(object) = &request.object else {
        return Err(bad(
            BadReviewReason::BadObject,
            "request.object: missing; a CREATE or UPDATE request must carry the object",
        ));
    };
    if object.metadata.deletion_timestamp.is_some() {
        return Ok(Decision::untouched(request));
    }
    let value = object_value(request, object)?;

    let mut settings = settings.clone();
    if request.operation == Operation::Update && spec_unchanged(request) {
        settings.enforcement = Enforcement::Warn;
    }
    let namespace = namespace_of(request, object);
    let verdict = review(
        &ReviewInput {
            object: &value,
            namespace: &namespace,
            cluster,
        },
        &settings,
    );

    let mut response = AdmissionResponse::from(request);
    if !verdict.allowed() {
        let message = verdict.denial_message(&request.kind.kind, &namespace, &object_name(request));
        response = response.deny(&message);
        response.result = Status::failure(&message, "Forbidden").with_code(403);
    }
    let warnings = verdict.warning_lines();
    if !warnings.is_empty() {
        response.warnings = Some(warnings);
    }
    Ok(Decision {
        response,
        findings: verdict.findings,
        patched: false,
    })
}

/// Answers `/mutate`: VPAs aimed at Flink TaskManagers get the memory defaults
/// (`vpa.default-bounds`, `vpa.memory-only`) as a JSON patch; everything else, and
/// every DELETE, CONNECT or subresource write, is allowed untouched. Findings are left
/// to `/validate`, so kubectl does not print each warning twice. Dry-run requests get
/// the same answer: the patch is the whole effect.
pub fn mutate(
    request: &AdmissionRequest<ReviewObject>,
    settings: &RuleSettings,
    cluster: Option<&dyn ClusterState>,
) -> Result<Decision, Error> {
    if !matches!(request.operation, Operation::Create | Operation::Update)
        || request.sub_resource.is_some()
        || kind_of(request) != Kind::VerticalPodAutoscaler
    {
        return Ok(Decision::untouched(request));
    }
    let Some(object) = &request.object else {
        return Err(bad(
            BadReviewReason::BadObject,
            "request.object: missing; a CREATE or UPDATE request must carry the object",
        ));
    };
    if object.metadata.deletion_timestamp.is_some() {
        return Ok(Decision::untouched(request));
    }
    let value = object_value(request, object)?;
    let namespace = namespace_of(request, object);
    let mutation = flink_autoscale_rules::mutate(
        &ReviewInput {
            object: &value,
            namespace: &namespace,
            cluster,
        },
        settings,
    );
    if mutation.is_empty() {
        return Ok(Decision::untouched(request));
    }
    for change in &mutation.changes {
        // An admission like any other (at debug, as the router logs admissions):
        // the API server's audit log keeps the patch of every request.
        tracing::debug!(
            uid = request.uid.as_str(),
            kind = request.kind.kind.as_str(),
            namespace = namespace.as_str(),
            name = request.name.as_str(),
            change = %change,
            "mutating"
        );
    }
    let response = AdmissionResponse::from(request)
        .with_patch(mutation.patch)
        .map_err(|e| {
            bad(
                BadReviewReason::BadObject,
                format!("request.object: the patch for it cannot be encoded: {e}"),
            )
        })?;
    Ok(Decision {
        response,
        findings: Vec::new(),
        patched: true,
    })
}

/// Longest warning line kubectl users should have to read.
const WARNING_CHARS: usize = 120;

/// Adds to the warnings why the cluster rules were skipped, when the view exists but
/// cannot be trusted now (`problems`), and the rules said they needed it.
pub fn explain_skipped(decision: &mut Decision, problems: &[String]) {
    let Some(warnings) = decision.response.warnings.as_mut() else {
        return;
    };
    if problems.is_empty() || !warnings.iter().any(|w| w == review::OFFLINE_NOTE) {
        return;
    }
    for p in problems {
        // kubectl prints each warning on a line; keep it to one.
        let line: String = format!("cluster view unavailable: {p}")
            .chars()
            .take(WARNING_CHARS)
            .collect();
        warnings.push(line);
    }
}

/// The object as the rules read it: the decoded tree itself, or a copy with
/// `apiVersion`/`kind` filled from the request when a client left them out (the
/// rules classify objects by them; the API server always sends them).
fn object_value<'o>(
    request: &AdmissionRequest<ReviewObject>,
    object: &'o ReviewObject,
) -> Result<Cow<'o, Value>, Error> {
    let Value::Object(map) = &object.value else {
        return Err(bad(
            BadReviewReason::BadObject,
            "request.object: is not a JSON object",
        ));
    };
    if map.contains_key("apiVersion") && map.contains_key("kind") {
        return Ok(Cow::Borrowed(&object.value));
    }
    let mut map = map.clone();
    map.entry("apiVersion")
        .or_insert_with(|| Value::String(request.kind.api_version()));
    map.entry("kind")
        .or_insert_with(|| Value::String(request.kind.kind.clone()));
    Ok(Cow::Owned(Value::Object(map)))
}

/// The namespace the object lives in: the request's, else the object's own.
fn namespace_of(request: &AdmissionRequest<ReviewObject>, object: &ReviewObject) -> String {
    request
        .namespace
        .clone()
        .or_else(|| object.metadata.namespace.clone())
        .unwrap_or_default()
}

/// The JSON of the AdmissionReview answering with `response` (see [`crate::answer`]).
pub fn encode(response: AdmissionResponse) -> Vec<u8> {
    crate::answer::encode(&response)
}

/// The name for messages: the request's, else the object's, else its generateName
/// prefix (a CREATE with generateName has no name yet).
fn object_name(request: &AdmissionRequest<ReviewObject>) -> String {
    if !request.name.is_empty() {
        return request.name.clone();
    }
    let meta = request.object.as_ref().map(|o| &o.metadata);
    meta.and_then(|m| m.name.clone())
        .or_else(|| meta.and_then(|m| m.generate_name.as_ref().map(|g| format!("{g}*"))))
        .unwrap_or_else(|| "<unnamed>".into())
}

fn spec_unchanged(request: &AdmissionRequest<ReviewObject>) -> bool {
    match (&request.object, &request.old_object) {
        // Compared as the rules read them (pod templates are not decoded): an
        // update that changes only what no rule reads cannot change a finding.
        (Some(new), Some(old)) => new.value.get("spec") == old.value.get("spec"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fixture(name: &str) -> Value {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/fixtures/admission")
            .join(name);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_str(&text).unwrap()
    }

    fn decode_value(v: &Value) -> Result<AdmissionRequest<ReviewObject>, Error> {
        decode(&serde_json::to_vec(v).unwrap())
    }

    fn reason(result: Result<AdmissionRequest<ReviewObject>, Error>) -> (BadReviewReason, String) {
        match result {
            Err(Error::BadReview { reason, message }) => (reason, message),
            other => panic!("expected a bad review, got {other:?}"),
        }
    }

    /// A FlinkDeployment admission request around `object`.
    fn flink_request(operation: &str, object: Value, old: Value) -> Value {
        json!({
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {
                "uid": "u-1",
                "kind": {"group": "flink.apache.org", "version": "v1beta1", "kind": "FlinkDeployment"},
                "resource": {"group": "flink.apache.org", "version": "v1beta1", "resource": "flinkdeployments"},
                "name": "job",
                "namespace": "flink",
                "operation": operation,
                "userInfo": {},
                "object": object,
                "oldObject": old,
            }
        })
    }

    /// The fast and the checked decode give the same request for the real envelopes
    /// (the admission_review fuzz target asserts it for every input; this is its find
    /// on vpa-update.json, whose `options` only the fast path kept).
    #[test]
    fn both_decodes_agree_on_the_fixtures() {
        for name in [
            "flinkdeployment-create.json",
            "flinkdeployment-delete.json",
            "vpa-update.json",
        ] {
            let body = serde_json::to_vec(&fixture(name)).unwrap();
            let fast = serde_json::to_value(decode(&body).unwrap()).unwrap();
            let checked = serde_json::to_value(decode_checked(&body).unwrap()).unwrap();
            assert_eq!(fast, checked, "{name}");
        }
    }

    #[test]
    fn fixtures_decode() {
        for name in [
            "flinkdeployment-create.json",
            "flinkdeployment-delete.json",
            "vpa-update.json",
        ] {
            let request = decode_value(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!request.uid.is_empty());
        }
    }

    #[test]
    fn create_fixture_is_judged_and_carries_the_offline_note() {
        let request = decode_value(&fixture("flinkdeployment-create.json")).unwrap();
        let decision = validate(&request, &RuleSettings::default(), None).unwrap();
        assert_eq!(
            decision.response.uid,
            "705ab4f5-6393-11e8-b7cc-42010a800002"
        );
        let warnings = decision.response.warnings.clone().unwrap_or_default();
        assert!(
            warnings
                .iter()
                .any(|w| w == flink_autoscale_rules::review::OFFLINE_NOTE),
            "{warnings:?}"
        );
        // Whatever the rules find, deny findings and the answer agree.
        let denies = decision
            .findings
            .iter()
            .any(|f| f.severity == flink_autoscale_rules::Severity::Deny);
        assert_eq!(decision.response.allowed, !denies);
    }

    #[test]
    fn delete_with_null_object_is_allowed_untouched() {
        let request = decode_value(&fixture("flinkdeployment-delete.json")).unwrap();
        assert!(request.object.is_none());
        let decision = validate(&request, &RuleSettings::default(), None).unwrap();
        assert!(decision.response.allowed);
        assert_eq!(
            decision.response.uid,
            "a1b2c3d4-0000-4000-8000-000000000002"
        );
        assert!(decision.response.warnings.is_none());
        assert!(decision.findings.is_empty());
    }

    #[test]
    fn the_vpa_fixture_is_validated_and_mutated_into_memory_only() {
        let request = decode_value(&fixture("vpa-update.json")).unwrap();
        // Offline: the VPA targets a FlinkDeployment, so it is Flink's; only the
        // object-level rules run, and the offline note says so.
        let decision = validate(&request, &RuleSettings::default(), None).unwrap();
        assert!(decision.response.allowed);
        assert!(decision.response.patch.is_none());
        let warnings = decision.response.warnings.clone().unwrap_or_default();
        assert!(
            warnings.iter().any(|w| w.contains("offline")),
            "{warnings:?}"
        );
        assert_eq!(
            decision.response.uid,
            "a1b2c3d4-0000-4000-8000-000000000001"
        );

        let decision = mutate(&request, &RuleSettings::default(), None).unwrap();
        assert!(decision.response.allowed && decision.patched);
        assert!(
            decision.response.warnings.is_none(),
            "warnings come from /validate only"
        );
        let patch: json_patch::Patch =
            serde_json::from_slice(decision.response.patch.as_deref().unwrap()).unwrap();
        let mut vpa = fixture("vpa-update.json")["request"]["object"].clone();
        json_patch::patch(&mut vpa, &patch).unwrap();
        assert_eq!(
            vpa["spec"]["resourcePolicy"]["containerPolicies"][0],
            json!({"containerName": "flink-main-container", "controlledResources": ["memory"],
                   "minAllowed": {"memory": "256Mi"}, "maxAllowed": {"memory": "2Gi"}})
        );
    }

    #[test]
    fn mutating_the_mutated_vpa_yields_no_patch() {
        let mut v = fixture("vpa-update.json");
        v["request"]["object"]["spec"]["resourcePolicy"] = json!({"containerPolicies": [
            {"containerName": "flink-main-container", "controlledResources": ["memory"],
             "minAllowed": {"memory": "256Mi"}, "maxAllowed": {"memory": "2Gi"}}]});
        let decision = mutate(&decode_value(&v).unwrap(), &RuleSettings::default(), None).unwrap();
        assert!(decision.response.patch.is_none() && !decision.patched);
    }

    #[test]
    fn dry_run_mutation_is_the_same_patch() {
        let mut v = fixture("vpa-update.json");
        let wet = mutate(&decode_value(&v).unwrap(), &RuleSettings::default(), None).unwrap();
        v["request"]["dryRun"] = json!(true);
        let dry = mutate(&decode_value(&v).unwrap(), &RuleSettings::default(), None).unwrap();
        assert_eq!(wet.response.patch, dry.response.patch);
        assert!(dry.response.patch.is_some());
    }

    #[test]
    fn a_vpa_delete_is_not_mutated() {
        let mut v = fixture("vpa-update.json");
        v["request"]["operation"] = json!("DELETE");
        let decision = mutate(&decode_value(&v).unwrap(), &RuleSettings::default(), None).unwrap();
        assert!(decision.response.patch.is_none());
    }

    #[test]
    fn subresource_and_terminating_objects_are_untouched() {
        let mut v = fixture("flinkdeployment-create.json");
        v["request"]["subResource"] = json!("status");
        let decision =
            validate(&decode_value(&v).unwrap(), &RuleSettings::default(), None).unwrap();
        assert!(decision.response.allowed && decision.response.warnings.is_none());

        let mut v = fixture("flinkdeployment-create.json");
        v["request"]["operation"] = json!("UPDATE");
        v["request"]["object"]["metadata"]["deletionTimestamp"] = json!("2026-11-24T11:00:00Z");
        let decision =
            validate(&decode_value(&v).unwrap(), &RuleSettings::default(), None).unwrap();
        assert!(decision.response.allowed && decision.response.warnings.is_none());
    }

    #[test]
    fn object_without_type_fields_is_classified_by_the_request() {
        let v = flink_request(
            "CREATE",
            json!({"metadata": {"name": "job"}, "spec": {"flinkConfiguration": {}}}),
            Value::Null,
        );
        let decision =
            validate(&decode_value(&v).unwrap(), &RuleSettings::default(), None).unwrap();
        // Judged as a FlinkDeployment: offline, so the note is there.
        let warnings = decision.response.warnings.unwrap_or_default();
        assert!(
            warnings.iter().any(|w| w.contains("offline")),
            "{warnings:?}"
        );
    }

    #[test]
    fn update_with_unchanged_spec_never_denies() {
        // With spec unchanged, whatever the rules find is at most a warning.
        let object = json!({
            "apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
            "metadata": {"name": "job", "namespace": "flink", "labels": {"new": "label"}},
            "spec": {"flinkConfiguration": {
                "job.autoscaler.enabled": "true",
                "job.autoscaler.utilization.target": "7",
                "job.autoscaler.metrics.window": "garbage"
            }}
        });
        let mut old = object.clone();
        old["metadata"]["labels"] = json!({});
        let v = flink_request("UPDATE", object, old);
        let decision =
            validate(&decode_value(&v).unwrap(), &RuleSettings::default(), None).unwrap();
        assert!(decision.response.allowed);
        assert!(
            decision
                .findings
                .iter()
                .all(|f| f.severity == flink_autoscale_rules::Severity::Warn)
        );
    }

    #[test]
    fn denial_carries_the_full_message_and_403() {
        // Build the response path directly so this holds before the rule bodies land:
        // a denial must keep every line of the message.
        let request = decode_value(&fixture("flinkdeployment-create.json")).unwrap();
        let mut response = AdmissionResponse::from(&request);
        let message = "FlinkDeployment flink/x is refused: 2 problems to fix:\n* a\n* b";
        response = response.deny(message);
        response.result = Status::failure(message, "Forbidden").with_code(403);
        let out = serde_json::to_value(response.into_review()).unwrap();
        assert_eq!(out["response"]["allowed"], false);
        assert_eq!(out["response"]["status"]["code"], 403);
        assert_eq!(out["response"]["status"]["message"], message);
    }

    #[test]
    fn a_deny_finding_refuses_with_every_problem_in_the_message() {
        let mut v = fixture("flinkdeployment-create.json");
        let conf = &mut v["request"]["object"]["spec"]["flinkConfiguration"];
        conf["job.autoscaler.utilization.target"] = json!("1.5");
        conf["job.autoscaler.metrics.window"] = json!("soon");
        let request = decode_value(&v).unwrap();
        let decision = validate(&request, &RuleSettings::default(), None).unwrap();
        let response = &decision.response;
        assert!(!response.allowed);
        assert_eq!(response.result.code, 403);
        let message = &response.result.message;
        assert!(
            message.starts_with("FlinkDeployment flink/autoscaling-example is refused"),
            "{message}"
        );
        assert!(
            message.contains("job.autoscaler.utilization.target"),
            "{message}"
        );
        assert!(
            message.contains("job.autoscaler.metrics.window"),
            "{message}"
        );
        // Warnings still travel with a denial: the offline note at least.
        assert!(response.warnings.as_ref().is_some_and(|w| !w.is_empty()));

        // The same object in warn enforcement: admitted, the problems as warnings.
        let settings = RuleSettings {
            enforcement: Enforcement::Warn,
            ..RuleSettings::default()
        };
        let decision = validate(&request, &settings, None).unwrap();
        assert!(decision.response.allowed);
        let warnings = decision.response.warnings.unwrap_or_default();
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("job.autoscaler.utilization.target")),
            "{warnings:?}"
        );
    }

    #[test]
    fn an_update_that_changes_the_spec_is_judged_in_full() {
        let mut v = fixture("flinkdeployment-create.json");
        let old = v["request"]["object"].clone();
        v["request"]["operation"] = json!("UPDATE");
        v["request"]["oldObject"] = old;
        v["request"]["object"]["spec"]["flinkConfiguration"]["job.autoscaler.utilization.target"] =
            json!("1.5");
        let decision =
            validate(&decode_value(&v).unwrap(), &RuleSettings::default(), None).unwrap();
        assert!(!decision.response.allowed);
    }

    #[test]
    fn invalid_utf8_in_an_ignored_field_is_refused_like_the_checked_decode() {
        // Regression from the admission_review fuzz target: a byte that is not UTF-8
        // inside a field kube's types ignore (userInfo.kindps).
        let mut v = fixture("flinkdeployment-create.json");
        v["request"]["userInfo"]["kindps"] = json!(["kubeaXdm"]);
        let mut body = serde_json::to_vec(&v).unwrap();
        let at = body.windows(8).position(|w| w == b"kubeaXdm").unwrap() + 5;
        body[at] = 0xE4;
        let fast = decode(&body).map(|_| ()).map_err(|e| e.to_string());
        let checked = decode_checked(&body).map(|_| ()).map_err(|e| e.to_string());
        assert_eq!(fast, checked);
        assert!(fast.is_err());
    }

    #[test]
    fn mutate_leaves_flink_deployments_alone() {
        let request = decode_value(&fixture("flinkdeployment-create.json")).unwrap();
        let decision = mutate(&request, &RuleSettings::default(), None).unwrap();
        assert!(decision.response.allowed && decision.response.patch.is_none());
        assert!(!decision.patched);
    }

    #[test]
    fn malformed_reviews_name_what_is_wrong() {
        use BadReviewReason::*;
        let create = fixture("flinkdeployment-create.json");
        let with = |f: &dyn Fn(&mut Value)| {
            let mut v = create.clone();
            f(&mut v);
            serde_json::to_vec(&v).unwrap()
        };
        let cases: Vec<(Vec<u8>, BadReviewReason, &str)> = vec![
            (b"".to_vec(), EmptyBody, "request body is empty"),
            (b"  \n".to_vec(), EmptyBody, "request body is empty"),
            (
                b"{not json".to_vec(),
                NotJson,
                "request body is not valid JSON: key must be a string at line 1 column 2",
            ),
            (b"[1]".to_vec(), NotAnObject, "request body is an array"),
            (
                with(&|v| v["apiVersion"] = json!("admission.k8s.io/v1beta1")),
                WrongApiVersion,
                "apiVersion: \"admission.k8s.io/v1beta1\" is not supported",
            ),
            (
                with(&|v| {
                    v.as_object_mut().unwrap().remove("apiVersion");
                }),
                WrongApiVersion,
                "apiVersion: missing",
            ),
            (
                with(&|v| v["apiVersion"] = json!(1)),
                WrongApiVersion,
                "apiVersion: is a number",
            ),
            (
                with(&|v| v["kind"] = json!("Pod")),
                WrongKind,
                "kind: \"Pod\" is not supported",
            ),
            (
                with(&|v| {
                    v.as_object_mut().unwrap().remove("request");
                }),
                MissingRequest,
                "request: missing",
            ),
            (
                with(&|v| v["request"] = Value::Null),
                MissingRequest,
                "request: missing",
            ),
            (
                with(&|v| v["request"] = json!("x")),
                InvalidField,
                "request: is a string",
            ),
            (
                with(&|v| v["request"]["object"] = json!("x")),
                BadObject,
                "request.object: is a string; a CREATE request",
            ),
            (
                with(&|v| v["request"]["object"] = Value::Null),
                BadObject,
                "request.object: is null; a CREATE request",
            ),
            (
                with(&|v| {
                    v["request"]["operation"] = json!("UPDATE");
                    v["request"]["object"] = json!([1]);
                }),
                BadObject,
                "request.object: is an array; a UPDATE request",
            ),
            (
                with(&|v| {
                    v["request"].as_object_mut().unwrap().remove("object");
                }),
                BadObject,
                "request.object: missing",
            ),
            (
                with(&|v| {
                    v["request"].as_object_mut().unwrap().remove("uid");
                }),
                InvalidField,
                "request: missing field `uid`",
            ),
            (
                with(&|v| v["request"]["operation"] = json!("PATCH")),
                InvalidField,
                "request.operation: unknown variant `PATCH`",
            ),
            (
                with(&|v| v["request"]["kind"] = json!("FlinkDeployment")),
                InvalidField,
                "request.kind: invalid type: string",
            ),
        ];
        for (body, expected_reason, expected) in cases {
            let (reason, message) = reason(decode(&body));
            assert_eq!(reason, expected_reason, "{message}");
            assert!(
                message.starts_with(expected),
                "expected {expected:?}, got {message:?}"
            );
        }
    }

    #[test]
    fn delete_and_connect_may_carry_no_object() {
        let mut v = fixture("flinkdeployment-delete.json");
        v["request"]["operation"] = json!("CONNECT");
        let request = decode_value(&v).unwrap();
        assert!(
            validate(&request, &RuleSettings::default(), None)
                .unwrap()
                .response
                .allowed
        );
    }
}
