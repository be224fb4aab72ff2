//! The workspace's command-line binaries run to completion as a test runs them: the
//! plugin (`kubectl-flink`) and the webhook's one-shot commands (`certs`, `--help`,
//! `--version`). One runner with the environment a test controls: no colour
//! (`NO_COLOR=1`) unless asked, no in-cluster detection (`KUBERNETES_SERVICE_HOST`
//! removed), stdin closed unless given, and the kubeconfig, width and locale a test
//! sets. It returns the exit code and both outputs as text.

use serde_json::Value;
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The plugin binary, built once per test process.
pub fn plugin_path() -> PathBuf {
    crate::binary("kubectl-flink", "kubectl-flink")
}

/// `PATH` with `dirs` first, then the plugin's directory (so `kubectl flink` finds
/// it), then the test's own `PATH`.
pub fn path_with_plugin(dirs: &[PathBuf]) -> OsString {
    let plugin = plugin_path();
    let plugin_dir = plugin
        .parent()
        .expect("the plugin's directory")
        .to_path_buf();
    let inherited = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(
        dirs.iter()
            .cloned()
            .chain(std::iter::once(plugin_dir))
            .chain(std::env::split_paths(&inherited)),
    )
    .expect("PATH joins")
}

/// A run to make: [`plugin`], [`webhook_cli`] or [`BinaryRun::program`], then
/// settings, then [`BinaryRun::run`].
#[must_use]
pub struct BinaryRun {
    command: Command,
    name: String,
    stdin: Option<Vec<u8>>,
}

/// `kubectl-flink ARGS`.
pub fn plugin<I, S>(args: I) -> BinaryRun
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    BinaryRun::program(plugin_path(), "kubectl-flink").args(args)
}

/// `flink-autoscale-webhook ARGS`, for its commands that run to completion.
pub fn webhook_cli<I, S>(args: I) -> BinaryRun
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let bin = crate::binary("flink-autoscale-webhook", "flink-autoscale-webhook");
    BinaryRun::program(bin, "flink-autoscale-webhook").args(args)
}

impl BinaryRun {
    /// Any program (`kubectl` with the plugin on `PATH`) with the same environment.
    pub fn program(program: impl AsRef<OsStr>, name: &str) -> BinaryRun {
        let mut command = Command::new(program);
        command
            .env("NO_COLOR", "1")
            .env_remove("KUBERNETES_SERVICE_HOST");
        BinaryRun {
            command,
            name: name.to_string(),
            stdin: None,
        }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> BinaryRun {
        self.command.arg(arg);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> BinaryRun
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command.args(args);
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> BinaryRun {
        self.command.env(key, value);
        self
    }

    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> BinaryRun {
        self.command.env_remove(key);
        self
    }

    /// `KUBECONFIG`.
    pub fn kubeconfig(self, path: impl AsRef<Path>) -> BinaryRun {
        self.env("KUBECONFIG", path.as_ref())
    }

    /// Without `NO_COLOR`: colour as the program decides it (off on a pipe).
    pub fn color(self) -> BinaryRun {
        self.env_remove("NO_COLOR")
    }

    /// `COLUMNS`.
    pub fn columns(self, columns: u16) -> BinaryRun {
        self.env("COLUMNS", columns.to_string())
    }

    /// `LANG`, with `LC_ALL` and `LC_CTYPE` removed so that it decides.
    pub fn lang(self, lang: &str) -> BinaryRun {
        self.env_remove("LC_ALL")
            .env_remove("LC_CTYPE")
            .env("LANG", lang)
    }

    /// The working directory.
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> BinaryRun {
        self.command.current_dir(dir);
        self
    }

    /// Text written to stdin (then closed).
    pub fn stdin(mut self, text: impl Into<Vec<u8>>) -> BinaryRun {
        self.stdin = Some(text.into());
        self
    }

    /// Starts it with stdout and stderr piped, for a test that reads as it runs
    /// (watch) or signals it.
    pub fn spawn(mut self) -> Child {
        let mut child = self
            .command
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{} starts: {e}", self.name));
        if let Some(text) = self.stdin.take() {
            let mut pipe = child.stdin.take().expect("stdin is piped");
            pipe.write_all(&text)
                .unwrap_or_else(|e| panic!("{} reads stdin: {e}", self.name));
        }
        child
    }

    /// Runs it to the end.
    pub fn run(self) -> Run {
        let name = self.name.clone();
        let out = self
            .spawn()
            .wait_with_output()
            .unwrap_or_else(|e| panic!("{name} finishes: {e}"));
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// What one run printed and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// The exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The exit code; panics when a signal ended it.
    pub fn code(&self) -> i32 {
        self.code
            .unwrap_or_else(|| panic!("exits rather than being killed:\n{self:#?}"))
    }

    /// Asserts exit code 0.
    pub fn ok(self) -> Run {
        assert_eq!(self.code, Some(0), "expected success:\n{self:#?}");
        self
    }

    /// Asserts exit code 0 and nothing on stderr.
    pub fn ok_quiet(self) -> Run {
        let run = self.ok();
        assert_eq!(run.stderr, "", "{run:#?}");
        run
    }

    /// Stdout as one JSON document.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self:#?}"))
    }

    /// Stdout as a JSON array.
    pub fn json_array(&self) -> Vec<Value> {
        match serde_json::from_str::<Value>(&self.stdout) {
            Ok(Value::Array(entries)) => entries,
            other => panic!("stdout is not a JSON array ({other:?}):\n{self:#?}"),
        }
    }
}
