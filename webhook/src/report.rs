//! How a failure to start is told to a person: the error, then each cause once.
//! Libraries such as kube put their source's text into their own message
//! ("failed to infer config: ... kubeconfig: (failed to read kubeconfig from ...: No
//! such file ...)"), so walking the source chain repeats what was already said; a cause
//! whose text is already contained in what was printed is left out.

/// The messages of an error chain (outermost first) without those already said by an
/// earlier one, nor empty ones.
pub fn distinct_causes(chain: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut said: Vec<String> = Vec::new();
    for message in chain {
        let message = message.trim().to_string();
        if message.is_empty() || said.iter().any(|s| s.contains(&message)) {
            continue;
        }
        said.push(message);
    }
    said
}

/// `Error: FIRST` and a `Caused by: ...` line per further cause.
pub fn render(causes: &[String]) -> String {
    let mut out = format!(
        "Error: {}",
        causes.first().map(String::as_str).unwrap_or("unknown")
    );
    for cause in causes.iter().skip(1) {
        out.push_str("\nCaused by: ");
        out.push_str(cause);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    /// The chain the webhook had without a kubeconfig: one cause, said four times.
    #[test]
    fn a_cause_repeated_inside_its_parent_is_said_once() {
        let causes = distinct_causes(chain(&[
            "cannot connect to the cluster; run with --offline",
            "Failed to infer configuration: failed to infer config: kubeconfig: (failed to read kubeconfig from '\"/x\"': No such file or directory (os error 2))",
            "failed to infer config: kubeconfig: (failed to read kubeconfig from '\"/x\"': No such file or directory (os error 2))",
            "failed to read kubeconfig from '\"/x\"': No such file or directory (os error 2)",
            "No such file or directory (os error 2)",
        ]));
        assert_eq!(causes.len(), 2, "{causes:?}");
        let text = render(&causes);
        assert_eq!(
            text.matches("No such file or directory").count(),
            1,
            "{text}"
        );
        assert!(
            text.starts_with("Error: cannot connect to the cluster"),
            "{text}"
        );
        assert!(
            text.contains("\nCaused by: Failed to infer configuration"),
            "{text}"
        );
    }

    #[test]
    fn distinct_causes_are_all_kept_in_order() {
        let causes = distinct_causes(chain(&["reading the certificate", "", "permission denied"]));
        assert_eq!(
            causes,
            chain(&["reading the certificate", "permission denied"])
        );
        assert_eq!(
            render(&causes),
            "Error: reading the certificate\nCaused by: permission denied"
        );
    }
}
