#!/usr/bin/env bash
# Runs every cargo-fuzz target (fuzz/) for SECONDS each (default 60), from the seeds
# in fuzz/seeds plus the shared admission fixtures. A crash fails the run and leaves
# its input in fuzz/artifacts/TARGET/; turn it into a regression test in the rules or
# webhook crate before fixing it.
#
#   bash .ci/fuzz.sh          # 60 s per target
#   bash .ci/fuzz.sh 3600     # an hour per target
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
fixtures="$(realpath -m "${FIXTURES_DIR:-../shared/fixtures}")"

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
# libFuzzer's instrumentation needs -Zsanitizer and friends; the stable toolchain
# accepts them with RUSTC_BOOTSTRAP (there is no nightly toolchain on the machines).
export RUSTC_BOOTSTRAP=1

cd fuzz
targets=(admission_review value_parsers)
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  cp -n seeds/"$target"/* "corpus/$target/" 2>/dev/null || true
done
if [ -d "$fixtures/admission" ]; then
  cp -n "$fixtures"/admission/*.json corpus/admission_review/
fi

echo "== fuzz: build"
cargo fuzz build
for target in "${targets[@]}"; do
  dict=()
  [ -f "dict/$target.dict" ] && dict=("-dict=dict/$target.dict")
  echo "== fuzz: $target for ${seconds}s"
  if ! cargo fuzz run "$target" "corpus/$target" -- \
      -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 "${dict[@]}"; then
    echo "error: fuzz target $target failed; the input is in fuzz/artifacts/$target/." >&2
    echo "Reproduce with: (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run $target artifacts/$target/<file>)" >&2
    exit 1
  fi
done
