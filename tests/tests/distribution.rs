//! What the release ships, checked where Docker and krew cannot run: the Dockerfile's
//! final stage, the krew manifest, and that the manifest's hashes can be refreshed.

use flink_autoscale_e2e::workspace_root;
use serde_json::Value;
use std::process::Command;

fn read(rel: &str) -> String {
    std::fs::read_to_string(workspace_root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn crate_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// The instructions of the Dockerfile's last stage, continuation lines joined.
fn final_stage() -> Vec<(String, String)> {
    let text = read("Dockerfile").replace("\\\n", " ");
    let mut stage = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (op, rest) = line.split_once(' ').unwrap_or((line, ""));
        if op.eq_ignore_ascii_case("FROM") {
            stage.clear();
        }
        stage.push((op.to_uppercase(), rest.trim().to_string()));
    }
    stage
}

fn instruction(stage: &[(String, String)], op: &str) -> Vec<String> {
    stage
        .iter()
        .filter(|(o, _)| o == op)
        .map(|(_, rest)| rest.clone())
        .collect()
}

#[test]
fn the_image_runs_the_release_binary_as_a_numeric_non_root_user_without_a_shell() {
    let stage = final_stage();
    let from = instruction(&stage, "FROM");
    assert_eq!(from.len(), 1);
    assert!(
        from[0].starts_with("gcr.io/distroless/"),
        "the final base has no shell: {from:?}"
    );
    let user = instruction(&stage, "USER");
    assert_eq!(
        user,
        ["65532:65532"],
        "numeric, so runAsNonRoot can verify it"
    );
    let entrypoint = instruction(&stage, "ENTRYPOINT");
    assert_eq!(
        entrypoint,
        [r#"["/usr/local/bin/flink-autoscale-webhook"]"#]
    );
    let copy = instruction(&stage, "COPY");
    assert_eq!(
        copy,
        ["--from=build /out/flink-autoscale-webhook /usr/local/bin/flink-autoscale-webhook"]
    );
    let labels = instruction(&stage, "LABEL").join(" ");
    for label in [
        "org.opencontainers.image.title",
        "org.opencontainers.image.version",
        "org.opencontainers.image.revision",
        "org.opencontainers.image.source",
        "org.opencontainers.image.licenses",
    ] {
        assert!(labels.contains(label), "missing label {label}");
    }
    // The build stage installs exactly what `cargo build --release` produces.
    let dockerfile = read("Dockerfile");
    assert!(dockerfile.contains("cargo build --release --locked -p flink-autoscale-webhook"));
    assert!(
        dockerfile.contains("target/release/flink-autoscale-webhook /out/flink-autoscale-webhook")
    );
    let manifest: Value = toml_package(&read("webhook/Cargo.toml"));
    assert_eq!(manifest["bin"], "flink-autoscale-webhook");
}

/// The package name and first binary name of a Cargo.toml, read without a TOML crate.
fn toml_package(text: &str) -> Value {
    let mut bin = None;
    let mut in_bin = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin && let Some(name) = line.strip_prefix("name = ") {
            bin.get_or_insert_with(|| name.trim_matches('"').to_string());
        }
    }
    serde_json::json!({"bin": bin})
}

#[test]
fn the_chart_points_at_the_image_this_dockerfile_builds() {
    let values: Value = serde_saphyr::from_str(&read("charts/flink-autoscale-webhook/values.yaml"))
        .expect("values.yaml");
    assert_eq!(values["image"]["repository"], "flink-autoscale-webhook");
    let chart: Value = serde_saphyr::from_str(&read("charts/flink-autoscale-webhook/Chart.yaml"))
        .expect("Chart.yaml");
    assert_eq!(chart["appVersion"].as_str(), Some(crate_version().as_str()));
    // The Makefile tags the image with the crate version too.
    let out = Command::new("make")
        .args(["-n", "webhook/image"])
        .current_dir(workspace_root())
        .output()
        .expect("make runs");
    let dry = String::from_utf8_lossy(&out.stdout);
    assert!(
        dry.contains(&format!("-t flink-autoscale-webhook:{} .", crate_version())),
        "{dry}"
    );
}

#[test]
fn the_krew_manifest_has_every_platform_and_the_crate_version() {
    let plugin: Value = serde_saphyr::from_str(&read("plugins/flink.yaml")).expect("YAML");
    assert_eq!(
        plugin["apiVersion"],
        "krew.googlecontainertools.github.com/v1alpha2"
    );
    assert_eq!(plugin["kind"], "Plugin");
    assert_eq!(plugin["metadata"]["name"], "flink");
    let spec = &plugin["spec"];
    assert_eq!(
        spec["version"].as_str(),
        Some(format!("v{}", crate_version()).as_str())
    );
    for field in ["shortDescription", "description", "caveats", "homepage"] {
        assert!(
            spec[field].as_str().is_some_and(|s| !s.trim().is_empty()),
            "{field} is empty"
        );
    }
    assert!(spec["shortDescription"].as_str().unwrap_or("").len() <= 60);
    let platforms = spec["platforms"].as_array().expect("platforms");
    let mut seen = Vec::new();
    for p in platforms {
        let os = p["selector"]["matchLabels"]["os"].as_str().expect("os");
        let arch = p["selector"]["matchLabels"]["arch"].as_str().expect("arch");
        assert_eq!(p["bin"], "kubectl-flink");
        let uri = p["uri"].as_str().expect("uri");
        assert!(
            uri.ends_with(&format!(
                "/v{0}/kubectl-flink_{0}_{os}_{arch}.tar.gz",
                crate_version()
            )),
            "{uri}"
        );
        let sha = p["sha256"].as_str().expect("sha256");
        assert!(
            sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
            "{sha}"
        );
        seen.push(format!("{os}/{arch}"));
    }
    seen.sort();
    assert_eq!(
        seen,
        ["darwin/amd64", "darwin/arm64", "linux/amd64", "linux/arm64"]
    );
}

#[test]
fn the_manifest_hashes_are_refreshed_from_the_archives() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("plugins")).expect("mkdir");
    std::fs::create_dir_all(root.join("dist")).expect("mkdir");
    for f in ["plugins/flink.yaml", "plugins/update-sha256.sh"] {
        std::fs::copy(workspace_root().join(f), root.join(f)).expect("copy");
    }
    let archive = format!("kubectl-flink_{}_linux_arm64.tar.gz", crate_version());
    std::fs::write(root.join("dist").join(&archive), b"not really a tarball").expect("write");
    let out = Command::new("bash")
        .arg(root.join("plugins/update-sha256.sh"))
        .output()
        .expect("the script runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plugin: Value = serde_saphyr::from_str(
        &std::fs::read_to_string(root.join("plugins/flink.yaml")).expect("read"),
    )
    .expect("still YAML");
    let sums: Vec<(String, String)> = plugin["spec"]["platforms"]
        .as_array()
        .expect("platforms")
        .iter()
        .map(|p| {
            (
                p["uri"].as_str().unwrap_or("").to_string(),
                p["sha256"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let (_, arm) = sums
        .iter()
        .find(|(u, _)| u.ends_with(&archive))
        .expect("arm64 entry");
    let computed = Command::new("sha256sum")
        .arg(root.join("dist").join(&archive))
        .output()
        .expect("sha256sum");
    let computed = String::from_utf8_lossy(&computed.stdout);
    let computed = computed
        .split_whitespace()
        .next()
        .expect("sha256sum prints a hash");
    assert_eq!(arm, computed);
    assert!(
        sums.iter()
            .filter(|(u, _)| !u.ends_with(&archive))
            .all(|(_, s)| s == &"0".repeat(64))
    );
    // No archive at all is an error, not a silent pass.
    std::fs::remove_file(root.join("dist").join(&archive)).expect("rm");
    let out = Command::new("bash")
        .arg(root.join("plugins/update-sha256.sh"))
        .output()
        .expect("the script runs");
    assert_eq!(out.status.code(), Some(2));
}
