//! Runs the test API server by hand: seeds it from YAML files (or directories of
//! them), prints the kubeconfig path on stdout, and serves until interrupted.
//!
//! ```text
//! flink-test-apiserver [--namespace NS] [--forbid CONTEXT:VERB:RESOURCE]...
//!                      [--unreachable-context NAME]...
//!                      [--service NAMESPACE/NAME:PORT=HOST:PORT]... [FILE|DIR]...
//! ```
//!
//! Webhook configurations among the files (or applied later with kubectl) are
//! called on writes; `--service` says where a Service they name is reached, e.g.
//! `--service flink-guard/guard-flink-autoscale-webhook:443=127.0.0.1:8443`.
//!
//! ```text
//! export KUBECONFIG=$(...first line of its output...)
//! kubectl get flinkdeployments -A
//! ```

use flink_autoscale_e2e::apiserver::{Builder, TestApiServer};
use std::path::{Path, PathBuf};

const USAGE: &str = "usage: flink-test-apiserver [--namespace NS] [--forbid CONTEXT:VERB:RESOURCE]... \
                     [--unreachable-context NAME]... [--service NAMESPACE/NAME:PORT=HOST:PORT]... [FILE|DIR]...";

fn yaml_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    Ok(files)
}

fn configure(args: Vec<String>) -> Result<Builder, String> {
    let mut builder = TestApiServer::builder();
    let mut namespace = "default".to_string();
    let mut paths = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{arg} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "-n" | "--namespace" => {
                namespace = value()?;
                builder = builder.namespace(&namespace);
            }
            "--forbid" => {
                let rule = value()?;
                let parts: Vec<&str> = rule.splitn(3, ':').collect();
                let [context, verb, resource] = parts[..] else {
                    return Err(format!(
                        "--forbid wants CONTEXT:VERB:RESOURCE, got {rule:?}"
                    ));
                };
                builder = builder.forbid(context, verb, resource);
            }
            "--unreachable-context" => builder = builder.unreachable_context(&value()?),
            "--service" => {
                let mapping = value()?;
                let parsed = mapping.split_once('=').and_then(|(service, addr)| {
                    let (ns_name, port) = service.rsplit_once(':')?;
                    let ok = ns_name
                        .split_once('/')
                        .is_some_and(|(ns, name)| !ns.is_empty() && !name.is_empty())
                        && port.parse::<u16>().is_ok();
                    Some((service, addr.parse::<std::net::SocketAddr>().ok()?)).filter(|_| ok)
                });
                let Some((service, addr)) = parsed else {
                    return Err(format!(
                        "--service wants NAMESPACE/NAME:PORT=HOST:PORT (an IP address), got {mapping:?}"
                    ));
                };
                builder = builder.service(service, addr);
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}\n{USAGE}")),
            path => paths.push(PathBuf::from(path)),
        }
    }
    for path in paths {
        for file in yaml_files(&path).map_err(|e| format!("{}: {e}", path.display()))? {
            builder = builder
                .yaml_file_in(&file, &namespace)
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(builder)
}

fn main() {
    let builder = match configure(std::env::args().skip(1).collect()) {
        Ok(builder) => builder,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let server = match builder.start() {
        Ok(server) => server,
        Err(e) => {
            eprintln!("flink-test-apiserver: {e}");
            std::process::exit(1);
        }
    };
    println!("{}", server.kubeconfig().display());
    eprintln!(
        "serving {} (interrupt to stop)\n  export KUBECONFIG={}",
        server.url(),
        server.kubeconfig().display()
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a signal-handling runtime");
    runtime.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    });
    // Dropping the server stops it and removes its kubeconfig.
    drop(server);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn services_map_to_socket_addresses() {
        let builder = configure(args(&[
            "--service",
            "flink-guard/guard-flink-autoscale-webhook:443=127.0.0.1:8443",
        ]))
        .expect("a valid mapping");
        let shown = format!("{builder:?}");
        assert!(
            shown.contains("\"flink-guard/guard-flink-autoscale-webhook:443\": 127.0.0.1:8443"),
            "{shown}"
        );
        for bad in [
            "guard:443=127.0.0.1:8443",
            "ns/guard=127.0.0.1:8443",
            "ns/guard:443=localhost:8443",
            "ns/guard:443",
            "/guard:443=127.0.0.1:1",
        ] {
            let err = configure(args(&["--service", bad])).expect_err(bad);
            assert!(
                err.contains("NAMESPACE/NAME:PORT=HOST:PORT"),
                "{bad}: {err}"
            );
        }
    }
}
