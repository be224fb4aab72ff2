//! The plugin's one error type. Every variant names the file (and where it can, the
//! line) so that a CI log points at what to fix; all of them end the run with exit
//! code 2, which `check` reserves for "could not judge", as opposed to 1, "judged and
//! denied".

use std::io;

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
}

impl Error {
    /// Collapses a list of errors: none is `Ok`, one is itself, more become `Inputs`.
    pub fn from_many(mut errors: Vec<Error>) -> Result<(), Error> {
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.remove(0)),
            _ => Err(Error::Inputs(errors)),
        }
    }
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
    fn no_errors_is_ok() {
        assert!(Error::from_many(Vec::new()).is_ok());
    }
}
