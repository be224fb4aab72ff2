//! The plugin's one error type. `check`'s variants name the file (and where it can,
//! the line) so that a CI log points at what to fix, and end the run with exit code 2,
//! which `check` reserves for "could not judge", as opposed to 1, "judged and denied".
//! `status`'s variants name the kubeconfig, the context and the server, and end the
//! run with exit code 1 (2 stays for usage errors, as clap reports them).

use std::fmt;
use std::io;

/// Which cluster a command talks to, for messages (here, not in `cluster::connect`,
/// so that the error type depends on nothing else in the plugin): the kubeconfig it was read from,
/// the context and the API server's URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterTarget {
    /// The kubeconfig file(s), `:`-separated as in `KUBECONFIG`, or `in-cluster`.
    pub kubeconfig: String,
    pub context: String,
    pub server: String,
}

impl fmt::Display for ClusterTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (context \"{}\" in kubeconfig {})",
            self.server, self.context, self.kubeconfig
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file, directory or standard input could not be read.
    #[error("{file}: cannot read: {source}")]
    Read {
        file: String,
        #[source]
        source: io::Error,
    },

    /// The text is not valid YAML or JSON. `position` is the 1-based line and
    /// column, when the parser knows it; `snippet` is empty or starts with a line
    /// break: the source line with a caret under the column.
    #[error("{file}{}: {message}{snippet}", position.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
    Syntax {
        file: String,
        position: Option<(u64, u64)>,
        message: String,
        snippet: String,
    },

    /// A document parsed but is not a Kubernetes object (or a `List` of them).
    /// `document` counts the non-empty documents of the file from 1; `item` is the
    /// index in a `List`'s `items`, from 0, as kubectl numbers them.
    #[error("{file}:{line}: document {document}{}: {problem}", item.map(|i| format!(", items[{i}]")).unwrap_or_default())]
    NotAnObject {
        file: String,
        line: u64,
        document: usize,
        item: Option<usize>,
        problem: String,
    },

    /// `-f -` given twice: standard input can only be read once, so the second would
    /// silently be empty.
    #[error("standard input (-f -) can be given only once")]
    StdinTwice,

    /// Nothing to judge. Like `kubectl apply`, an empty input is an error: in CI it
    /// usually means a template rendered nothing or a path is wrong.
    #[error(
        "no Kubernetes objects found in {inputs} (empty documents are skipped; \
         directories are read for *.yaml, *.yml and *.json, not recursively)"
    )]
    NoObjects { inputs: String },

    /// Several inputs failed; each is reported, so one run shows every broken file.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\nerror: "))]
    Inputs(Vec<Error>),

    /// Writing the report failed (other than a closed pipe, which ends quietly).
    #[error("cannot write the report: {0}")]
    Output(#[source] io::Error),

    /// A kubeconfig file could not be read, parsed or used.
    #[error("cannot use the kubeconfig {kubeconfig}: {message}")]
    Kubeconfig { kubeconfig: String, message: String },

    /// No kubeconfig file exists and this is not a pod with a service account.
    #[error(
        "no kubeconfig found (looked in {looked_in}): pass --kubeconfig FILE, set KUBECONFIG, \
         or create ~/.kube/config"
    )]
    NoKubeconfig { looked_in: String },

    /// The kubeconfig has no current context and `--context` was not given.
    #[error(
        "the kubeconfig {kubeconfig} has no current-context: pass --context NAME, or run \
         `kubectl config use-context NAME`"
    )]
    NoCurrentContext { kubeconfig: String },

    /// `--context` names a context the kubeconfig does not have.
    #[error(
        "context \"{context}\" not found in the kubeconfig {kubeconfig} (it has: {})",
        if known.is_empty() { "no contexts".to_string() } else { known.join(", ") }
    )]
    UnknownContext {
        context: String,
        kubeconfig: String,
        known: Vec<String>,
    },

    /// The client could not be built (e.g. a certificate in the kubeconfig is broken).
    #[error("cannot set up a client for {target}: {message}")]
    Client {
        target: ClusterTarget,
        message: String,
    },

    /// No answer from the API server: connection refused, TLS failure, timeout.
    #[error("cannot reach the Kubernetes API server at {target}: {message}")]
    Unreachable {
        target: ClusterTarget,
        message: String,
    },

    /// The API server answered a request that `status` cannot do without (listing
    /// FlinkDeployments) with an error, e.g. 401 or 403.
    #[error("{action} on {target} failed: {message}")]
    Api {
        action: String,
        target: ClusterTarget,
        message: String,
    },

    /// The FlinkDeployment API is not served: the operator's CRDs are not installed.
    #[error(
        "the API server at {target} does not serve flinkdeployments.flink.apache.org/v1beta1: \
         is the Flink Kubernetes Operator (its CRDs) installed?"
    )]
    NoFlinkCrd { target: ClusterTarget },

    /// `kubectl flink status NAME` for a deployment that does not exist.
    #[error("flinkdeployment \"{name}\" not found in {scope}")]
    NotFound { name: String, scope: String },

    /// `explain --vertex ID` names no vertex of the deployment.
    #[error(
        "no vertex of flinkdeployment \"{name}\" has an id starting with \"{vertex}\" (known: {})",
        if known.is_empty() { "none recorded".to_string() } else { known.join(", ") }
    )]
    UnknownVertex {
        name: String,
        vertex: String,
        known: Vec<String>,
    },

    /// The async runtime could not start (threads, timers).
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] io::Error),
}

impl Error {
    /// The exit code: 2 for `check`'s input and usage errors, 1 when `status` cannot
    /// read the cluster.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Read { .. }
            | Error::Syntax { .. }
            | Error::NotAnObject { .. }
            | Error::StdinTwice
            | Error::NoObjects { .. }
            | Error::Inputs(_)
            | Error::Output(_) => 2,
            Error::Kubeconfig { .. }
            | Error::NoKubeconfig { .. }
            | Error::NoCurrentContext { .. }
            | Error::UnknownContext { .. }
            | Error::Client { .. }
            | Error::Unreachable { .. }
            | Error::Api { .. }
            | Error::NoFlinkCrd { .. }
            | Error::NotFound { .. }
            | Error::UnknownVertex { .. }
            | Error::Runtime(_) => 1,
        }
    }

    /// Collapses a list of errors: none is `Ok`, one is itself, more become `Inputs`.
    pub fn from_many(mut errors: Vec<Error>) -> Result<(), Error> {
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.remove(0)),
            _ => Err(Error::Inputs(errors)),
        }
    }
}

/// An error and its sources on one line, each cause once: kube's and hyper's errors
/// wrap each other and often repeat the inner message in the outer one.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.retain(|p| !text.contains(p.as_str()));
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_input_errors_print_one_per_line() {
        let err = Error::from_many(vec![
            Error::StdinTwice,
            Error::NotAnObject {
                file: "a.yaml".into(),
                line: 4,
                document: 2,
                item: Some(0),
                problem: "missing kind".into(),
            },
        ])
        .unwrap_err();
        assert_eq!(
            format!("error: {err}"),
            "error: standard input (-f -) can be given only once\n\
             error: a.yaml:4: document 2, items[0]: missing kind"
        );
    }

    #[test]
    fn cluster_errors_exit_one_and_name_the_context() {
        let target = ClusterTarget {
            kubeconfig: "/home/me/.kube/config".into(),
            context: "prod".into(),
            server: "https://10.0.0.1:6443".into(),
        };
        let err = Error::Unreachable {
            target,
            message: "connection refused".into(),
        };
        assert_eq!(err.exit_code(), 1);
        assert_eq!(
            err.to_string(),
            "cannot reach the Kubernetes API server at https://10.0.0.1:6443 \
             (context \"prod\" in kubeconfig /home/me/.kube/config): connection refused"
        );
        let unknown = Error::UnknownContext {
            context: "nope".into(),
            kubeconfig: "kc".into(),
            known: vec!["a".into(), "b".into()],
        };
        assert_eq!(
            unknown.to_string(),
            "context \"nope\" not found in the kubeconfig kc (it has: a, b)"
        );
        assert_eq!(Error::StdinTwice.exit_code(), 2);
    }

    #[test]
    fn chains_drop_repeated_causes() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer: {0}")]
        struct Outer(#[source] Inner);
        #[derive(Debug, thiserror::Error)]
        #[error("inner")]
        struct Inner;
        assert_eq!(chain(&Outer(Inner)), "outer: inner");
    }

    #[test]
    fn no_errors_is_ok() {
        assert!(Error::from_many(Vec::new()).is_ok());
    }
}
