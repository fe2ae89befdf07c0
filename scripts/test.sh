#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what a fresh machine lacks, then checks
# formatting and lints and runs every test (unit, doc and the real-cluster integration tests).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
export CARGO_TERM_COLOR=never
start=$(date +%s)
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked --no-run
built=$(date +%s)
cargo test --locked
end=$(date +%s)
echo "backstop: build $((built - start))s, tests $((end - built))s"
