#!/usr/bin/env bash
# Rewrites the sha256 of every platform in plugins/flink.yaml whose archive is in
# DIST (default dist/), so the krew manifest matches what the release ships.
# Usage: plugins/update-sha256.sh [DIST]
set -euo pipefail
cd "$(dirname "$0")/.."
dist="${1:-dist}"
manifest=plugins/flink.yaml
updated=0
for archive in "$dist"/kubectl-flink_*.tar.gz; do
  [ -e "$archive" ] || continue
  name=$(basename "$archive")
  sum=$(sha256sum "$archive" | cut -d' ' -f1)
  # The sha256 line follows the uri line that names this archive.
  python3 - "$manifest" "$name" "$sum" <<'PY'
import sys
path, name, digest = sys.argv[1:]
lines = open(path).read().split("\n")
for i, line in enumerate(lines):
    if line.strip().startswith("uri:") and line.rstrip().endswith("/" + name):
        j = i + 1
        indent = lines[j][: len(lines[j]) - len(lines[j].lstrip())]
        lines[j] = f'{indent}sha256: "{digest}"'
        break
else:
    sys.exit(f"{path}: no platform uri ends with {name}")
open(path, "w").write("\n".join(lines))
PY
  echo "$name: $sum"
  updated=$((updated + 1))
done
if [ "$updated" = 0 ]; then
  echo "error: no kubectl-flink_*.tar.gz in $dist (make plugin/archive builds one)" >&2
  exit 2
fi
