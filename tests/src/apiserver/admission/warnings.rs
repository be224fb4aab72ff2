//! Warnings as kube-apiserver returns them: one `Warning: 299 - "TEXT"` header per
//! distinct text (`"` and `\` escaped), in the order they were added, at most
//! 4 KiB in all; past that every warning is cut to 256 characters and later ones
//! are dropped (`endpoints/filters/warning.go`). kubectl prints each as
//! `Warning: TEXT`.

use axum::http::HeaderValue;
use std::sync::Mutex;

const MAX_TOTAL: usize = 4 * 1024;
const TRUNCATE_AT: usize = 256;

/// The warnings of one request.
#[derive(Debug, Default)]
pub struct Warnings(Mutex<Vec<String>>);

impl Warnings {
    pub fn add(&self, text: &str) {
        if text.is_empty() {
            return;
        }
        let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if !all.iter().any(|w| w == text) {
            all.push(text.to_string());
        }
    }

    pub fn texts(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The `Warning` header values.
    pub fn headers(&self) -> Vec<HeaderValue> {
        let texts = self.texts();
        let full: Vec<String> = texts.iter().map(|t| header(t)).collect();
        let total: usize = full.iter().map(String::len).sum();
        let values = if total <= MAX_TOTAL {
            full
        } else {
            let mut out = Vec::new();
            let mut written = 0;
            for text in &texts {
                let cut: String = if text.chars().count() > TRUNCATE_AT {
                    text.chars().take(TRUNCATE_AT).collect::<String>() + "..."
                } else {
                    text.clone()
                };
                let h = header(&cut);
                if written + h.len() > MAX_TOTAL {
                    break;
                }
                written += h.len();
                out.push(h);
            }
            out
        };
        // A text a header cannot carry (control characters) is dropped, as
        // NewWarningHeader refuses it.
        values
            .into_iter()
            .filter_map(|v| HeaderValue::from_str(&v).ok())
            .collect()
    }
}

fn header(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 9);
    out.push_str("299 - \"");
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_are_quoted_deduplicated_and_bounded() {
        let w = Warnings::default();
        w.add("a \"quoted\" \\ text");
        w.add("second");
        w.add("second");
        w.add("");
        let headers: Vec<String> = w
            .headers()
            .iter()
            .map(|h| h.to_str().unwrap().to_string())
            .collect();
        assert_eq!(
            headers,
            ["299 - \"a \\\"quoted\\\" \\\\ text\"", "299 - \"second\""]
        );
        let many = Warnings::default();
        for i in 0..40 {
            many.add(&format!("{i} {}", "x".repeat(300)));
        }
        let headers = many.headers();
        let total: usize = headers.iter().map(|h| h.len()).sum();
        assert!(total <= MAX_TOTAL && !headers.is_empty());
        assert!(headers[0].to_str().unwrap().ends_with("...\""));
    }
}
