//! Finding the cluster as kubectl does: the kubeconfig from `--kubeconfig`, else the
//! files in `KUBECONFIG` (merged, missing ones skipped), else `~/.kube/config`; the
//! context from `--context`, else the kubeconfig's current context; the namespace
//! from `-n`, else the context's. Every failure names the kubeconfig and the context,
//! so that "which cluster did it try?" is never a question.

pub use crate::error::ClusterTarget;
use crate::error::Error;
use clap::{Args, ValueHint};
use kube::config::{KubeConfigOptions, Kubeconfig};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Flags shared by every subcommand, as kubectl's are. `check` works offline and reads
/// only `--namespace`; the cluster flags are accepted everywhere so that a wrapper
/// script can pass them uniformly.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Path to the kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]
    /// (unused by `check`, which never contacts a cluster)
    #[arg(long, global = true, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub kubeconfig: Option<PathBuf>,

    /// The kubeconfig context to use [default: its current context] (unused by `check`)
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,

    /// The namespace: for `status` the one to look in [default: the context's];
    /// for `check` the one of objects that name none [default: default]
    #[arg(short = 'n', long, global = true, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
}

/// A client and where it points.
pub struct Connection {
    pub client: kube::Client,
    pub target: ClusterTarget,
    /// The context's namespace (`default` when it names none).
    pub default_namespace: String,
}

/// A connection that is refused or a TLS handshake that fails shows quickly; a server
/// that accepts and never answers should not hang a terminal forever.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the kubeconfig comes from.
fn kubeconfig_paths(explicit: Option<&Path>) -> (Vec<PathBuf>, bool) {
    if let Some(path) = explicit {
        return (vec![path.to_path_buf()], true);
    }
    if let Some(value) = std::env::var_os("KUBECONFIG") {
        let paths: Vec<PathBuf> = std::env::split_paths(&value)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if !paths.is_empty() {
            return (paths, false);
        }
    }
    let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"));
    let default = home.map(|h| PathBuf::from(h).join(".kube").join("config"));
    (default.into_iter().collect(), false)
}

fn joined(paths: &[PathBuf]) -> String {
    std::env::join_paths(paths)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| {
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(":")
        })
}

/// Reads and merges the kubeconfig files. An explicit `--kubeconfig` must exist; files
/// listed in `KUBECONFIG` that do not exist are skipped, as kubectl skips them.
fn load_kubeconfig(explicit: Option<&Path>) -> Result<Option<(Kubeconfig, String)>, Error> {
    let (paths, must_exist) = kubeconfig_paths(explicit);
    let mut merged: Option<Kubeconfig> = None;
    let mut read = Vec::new();
    for path in &paths {
        if !must_exist && !path.exists() {
            continue;
        }
        // kube's own message quotes the path twice; say it once, plainly.
        std::fs::metadata(path).map_err(|e| Error::Kubeconfig {
            kubeconfig: path.display().to_string(),
            message: e.to_string(),
        })?;
        let config = Kubeconfig::read_from(path).map_err(|e| Error::Kubeconfig {
            kubeconfig: path.display().to_string(),
            message: crate::error::chain(&e),
        })?;
        merged = Some(match merged {
            None => config,
            Some(m) => m.merge(config).map_err(|e| Error::Kubeconfig {
                kubeconfig: joined(&paths),
                message: crate::error::chain(&e),
            })?,
        });
        read.push(path.clone());
    }
    Ok(merged.map(|m| (m, joined(&read))))
}

/// Builds a client for the chosen context.
pub async fn connect(
    kubeconfig: Option<&Path>,
    context: Option<&str>,
) -> Result<Connection, Error> {
    let Some((config, source)) = load_kubeconfig(kubeconfig)? else {
        return in_cluster(context);
    };
    let context = match context {
        Some(c) => c.to_string(),
        None => config
            .current_context
            .clone()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| Error::NoCurrentContext {
                kubeconfig: source.clone(),
            })?,
    };
    if !config.contexts.iter().any(|c| c.name == context) {
        let mut known: Vec<String> = config.contexts.iter().map(|c| c.name.clone()).collect();
        known.sort();
        return Err(Error::UnknownContext {
            context,
            kubeconfig: source,
            known,
        });
    }
    let options = KubeConfigOptions {
        context: Some(context.clone()),
        cluster: None,
        user: None,
    };
    let mut client_config = kube::Config::from_custom_kubeconfig(config, &options)
        .await
        .map_err(|e| Error::Kubeconfig {
            kubeconfig: format!("{source} (context \"{context}\")"),
            message: crate::error::chain(&e),
        })?;
    client_config.connect_timeout = Some(CONNECT_TIMEOUT);
    client_config.read_timeout = Some(READ_TIMEOUT);
    let target = ClusterTarget {
        kubeconfig: source,
        context,
        server: client_config
            .cluster_url
            .to_string()
            .trim_end_matches('/')
            .to_string(),
    };
    let default_namespace = client_config.default_namespace.clone();
    let client = kube::Client::try_from(client_config).map_err(|e| Error::Client {
        target: target.clone(),
        message: crate::error::chain(&e),
    })?;
    Ok(Connection {
        client,
        target,
        default_namespace,
    })
}

/// No kubeconfig anywhere: inside a pod, use its service account as kubectl does;
/// elsewhere, say where a kubeconfig was looked for.
fn in_cluster(context: Option<&str>) -> Result<Connection, Error> {
    let no_kubeconfig = || Error::NoKubeconfig {
        looked_in: joined(&kubeconfig_paths(None).0),
    };
    if context.is_some() || std::env::var_os("KUBERNETES_SERVICE_HOST").is_none() {
        return Err(no_kubeconfig());
    }
    let mut config = kube::Config::incluster().map_err(|_| no_kubeconfig())?;
    config.connect_timeout = Some(CONNECT_TIMEOUT);
    config.read_timeout = Some(READ_TIMEOUT);
    let target = ClusterTarget {
        kubeconfig: "in-cluster".into(),
        context: "in-cluster".into(),
        server: config
            .cluster_url
            .to_string()
            .trim_end_matches('/')
            .to_string(),
    };
    let default_namespace = config.default_namespace.clone();
    let client = kube::Client::try_from(config).map_err(|e| Error::Client {
        target: target.clone(),
        message: crate::error::chain(&e),
    })?;
    Ok(Connection {
        client,
        target,
        default_namespace,
    })
}
