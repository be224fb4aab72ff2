//! The AdmissionReview that answers a request, written straight to bytes.
//!
//! The API server decodes `response.patch` as Go `[]byte`, a base64 string; kube-core
//! 5 serializes its `Vec<u8>` as an array of numbers (kube-rs issue #1781), which the
//! API server rejects, so a patched answer went through a JSON tree to replace it.
//! kube's `AdmissionReview` also flattens its `TypeMeta`, which makes serde write
//! every field as a map entry. Written by hand an answer costs 4 100 instructions
//! where serde's took 10 900 (the mix's answers under callgrind, freeing the
//! response included); the tests check it against serde's form of the same response.

use base64::Engine;
use kube::core::admission::{AdmissionResponse, META_API_VERSION_V1, META_KIND};
use kube::core::response::StatusSummary;

/// The JSON of the AdmissionReview carrying `response`: the fields kube's serde
/// form writes, with the patch base64-encoded as the API server expects.
pub fn encode(response: &AdmissionResponse) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + extra_capacity(response));
    out.extend_from_slice(b"{\"apiVersion\":");
    string(&mut out, META_API_VERSION_V1);
    out.extend_from_slice(b",\"kind\":");
    string(&mut out, META_KIND);
    out.extend_from_slice(b",\"response\":{\"uid\":");
    string(&mut out, &response.uid);
    out.extend_from_slice(if response.allowed {
        b",\"allowed\":true"
    } else {
        b",\"allowed\":false"
    });
    status(&mut out, response);
    if let Some(patch) = &response.patch {
        // kube sets the patch type with the patch (`with_patch`), and JSON Patch is
        // the only type there is.
        out.extend_from_slice(b",\"patch\":\"");
        let at = out.len();
        out.resize(at + base64::encoded_len(patch.len(), true).unwrap_or(0), 0);
        let written = base64::engine::general_purpose::STANDARD
            .encode_slice(patch, &mut out[at..])
            .unwrap_or(0);
        out.truncate(at + written);
        out.extend_from_slice(b"\",\"patchType\":\"JSONPatch\"");
    }
    if !response.audit_annotations.is_empty() {
        out.extend_from_slice(b",\"auditAnnotations\":");
        // Never set by the webhook; written as serde would, for completeness.
        serialized(&mut out, &response.audit_annotations);
    }
    if let Some(warnings) = &response.warnings {
        out.extend_from_slice(b",\"warnings\":[");
        for (i, warning) in warnings.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            string(&mut out, warning);
        }
        out.push(b']');
    }
    out.extend_from_slice(b"}}");
    out
}

/// Room for the parts whose size the response decides, so the buffer grows once.
fn extra_capacity(response: &AdmissionResponse) -> usize {
    let warnings: usize = response
        .warnings
        .iter()
        .flatten()
        .map(|w| w.len() + 8)
        .sum();
    let patch = response.patch.as_ref().map_or(0, |p| p.len() * 4 / 3 + 40);
    response.result.message.len() + response.result.reason.len() + warnings + patch
}

/// `"status":{...}` as kube's `Status` serializes: empty fields left out.
fn status(out: &mut Vec<u8>, response: &AdmissionResponse) {
    let status = &response.result;
    out.extend_from_slice(b",\"status\":{");
    let mut first = true;
    let mut field = |out: &mut Vec<u8>, name: &str| {
        if !first {
            out.push(b',');
        }
        first = false;
        out.push(b'"');
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
    };
    if let Some(summary) = &status.status {
        field(out, "status");
        string(
            out,
            match summary {
                StatusSummary::Success => "Success",
                StatusSummary::Failure => "Failure",
            },
        );
    }
    if status.code != 0 {
        field(out, "code");
        out.extend_from_slice(status.code.to_string().as_bytes());
    }
    if !status.message.is_empty() {
        field(out, "message");
        string(out, &status.message);
    }
    if let Some(metadata) = &status.metadata {
        field(out, "metadata");
        serialized(out, metadata);
    }
    if !status.reason.is_empty() {
        field(out, "reason");
        string(out, &status.reason);
    }
    if let Some(details) = &status.details {
        field(out, "details");
        serialized(out, details);
    }
    out.push(b'}');
}

/// What the webhook never sets, written by serde. A value that would not serialize
/// (none of these types can fail) is written as null rather than breaking the answer.
fn serialized<T: serde::Serialize>(out: &mut Vec<u8>, value: &T) {
    let at = out.len();
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.truncate(at);
        out.extend_from_slice(b"null");
    }
}

/// A JSON string, escaped as serde_json escapes: `"`, `\`, and control characters
/// (the short forms where JSON has them, `\u00XX` otherwise); the rest as is.
fn string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    loop {
        // Past the plain stretch, eight bytes at a time, then one byte at a time up
        // to the next one that needs escaping (messages quote values often).
        i += plain_prefix(&bytes[i..]);
        let Some(&b) = bytes.get(i) else {
            break;
        };
        let short = match b {
            b'"' => b'"',
            b'\\' => b'\\',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0x08 => b'b',
            0x0c => b'f',
            0x00..=0x1f => 0,
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&bytes[start..i]);
        i += 1;
        start = i;
        if short != 0 {
            out.extend_from_slice(&[b'\\', short]);
        } else {
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]);
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// How many leading bytes need no escaping, eight at a time: most text has none,
/// and a byte at a time was most of an answer's cost. Stops at (or a little before)
/// the first byte that may need it; the caller looks at the rest a byte at a time.
fn plain_prefix(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte of `x - ONES & !x` is set for a zero byte of `x`
    // (and possibly above one): never missed, sometimes a false alarm.
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let mut at = 0;
    for chunk in bytes.chunks_exact(8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        // Bytes below 0x20 (ASCII ones only: `!w` clears the rest), quotes, backslashes.
        let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
        if control
            | zero_byte(w ^ (ONES * u64::from(b'"')))
            | zero_byte(w ^ (ONES * u64::from(b'\\')))
            != 0
        {
            break;
        }
        at += 8;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::core::response::StatusDetails;
    use kube::core::{Status, TypeMeta};
    use proptest::prelude::*;
    use serde_json::{Value, json};
    use std::collections::HashMap;

    /// The answer as kube's serde form writes it, the patch base64-encoded into it:
    /// what the webhook wrote before, and what the API server reads.
    fn by_serde(response: &AdmissionResponse) -> Value {
        let mut response = response.clone();
        let patch = response.patch.take();
        let mut value = serde_json::to_value(response.into_review()).expect("serializes");
        if let Some(patch) = patch {
            value["response"]["patch"] =
                Value::String(base64::engine::general_purpose::STANDARD.encode(patch));
        }
        value
    }

    fn response(uid: &str) -> AdmissionResponse {
        let mut response = AdmissionResponse::invalid("");
        response.uid = uid.into();
        response.allowed = true;
        response.result = Status::default();
        response.types = TypeMeta {
            api_version: META_API_VERSION_V1.into(),
            kind: META_KIND.into(),
        };
        response
    }

    fn agrees(response: &AdmissionResponse) -> Value {
        let bytes = encode(response);
        let written: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)));
        assert_eq!(written, by_serde(response));
        written
    }

    #[test]
    fn an_admission_is_what_serde_writes_byte_for_byte() {
        // Without a patch the field order is serde's too, so the bytes are the same.
        let r = response("705ab4f5-6393-11e8-b7cc-42010a800002");
        let bytes = encode(&r);
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            serde_json::to_string(&r.clone().into_review()).expect("serializes")
        );
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"705ab4f5-6393-11e8-b7cc-42010a800002","allowed":true,"status":{}}}"#
        );
    }

    #[test]
    fn a_denial_with_warnings_is_what_serde_writes() {
        let mut r = response("u-1");
        r = r.deny("spec.flinkConfiguration: \"job.autoscaler.utilization.target\" is 1.5");
        r.result = Status::failure("line one\nline \"two\"\t\\ é ☃", "Forbidden").with_code(403);
        r.warnings = Some(vec![
            "a warning".into(),
            "ctrl \u{1}\u{1f}\u{8}\u{c}\r".into(),
        ]);
        let written = agrees(&r);
        assert_eq!(written["response"]["status"]["code"], 403);
        let bytes = encode(&r);
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            serde_json::to_string(&r.clone().into_review()).expect("serializes")
        );
    }

    #[test]
    fn a_patch_is_base64_with_its_type() {
        let patch = json_patch::Patch(vec![]);
        let r = response("u-2")
            .with_patch(patch)
            .expect("an empty patch serializes");
        let written = agrees(&r);
        assert_eq!(written["response"]["patch"], "W10=");
        assert_eq!(written["response"]["patchType"], "JSONPatch");
    }

    #[test]
    fn fields_the_webhook_never_sets_are_still_written() {
        let mut r = response("u-3");
        r.audit_annotations = HashMap::from([
            ("a".to_string(), "b".to_string()),
            ("c\"".into(), "d".into()),
        ]);
        r.result = Status {
            status: Some(StatusSummary::Success),
            code: 200,
            message: String::new(),
            metadata: Some(Default::default()),
            reason: String::new(),
            details: Some(StatusDetails {
                name: "n".into(),
                group: String::new(),
                kind: String::new(),
                uid: String::new(),
                causes: Vec::new(),
                retry_after_seconds: 0,
            }),
        };
        let written = agrees(&r);
        assert_eq!(written["response"]["auditAnnotations"]["c\""], "d");
        assert_eq!(written, by_serde(&r));
        assert_eq!(
            written["response"]["status"],
            json!({"status": "Success", "code": 200, "metadata": {}, "details": {"name": "n"}})
        );
    }

    #[test]
    fn the_plain_prefix_stops_before_every_byte_that_needs_escaping() {
        let text = "job.autoscaler.metrics.window: 5 mins is shorter than the stabilization";
        assert_eq!(plain_prefix(text.as_bytes()), text.len() / 8 * 8);
        for special in [b'"', b'\\', b'\n', 0u8, 0x1f, 0x7f, 0xc3] {
            for at in 0..24 {
                let mut bytes = vec![b'a'; 24];
                bytes[at] = special;
                let plain = plain_prefix(&bytes);
                if special < 0x20 || special == b'"' || special == b'\\' {
                    assert!(plain <= at, "{special:#x} at {at}: prefix {plain}");
                }
                assert_eq!(plain % 8, 0);
            }
        }
    }

    proptest! {
        #[test]
        fn any_text_is_escaped_as_serde_escapes_it(
            uid in any::<String>(),
            message in any::<String>(),
            warnings in proptest::collection::vec(any::<String>(), 0..4),
            allowed in any::<bool>(),
        ) {
            let mut r = response(&uid);
            r.allowed = allowed;
            if !allowed {
                r.result = Status::failure(&message, "Forbidden").with_code(403);
            }
            r.warnings = (!warnings.is_empty()).then_some(warnings);
            let bytes = encode(&r);
            prop_assert_eq!(
                String::from_utf8_lossy(&bytes).into_owned(),
                serde_json::to_string(&r.clone().into_review()).expect("serializes")
            );
        }
    }
}
