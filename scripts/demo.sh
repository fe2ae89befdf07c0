#!/usr/bin/env bash
# The demo sandbox: installs the PostgreSQL server when missing (as root; otherwise prints the
# command), builds backstop and runs `backstop demo`. Ctrl-C removes everything it created.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh demo
cargo build --release --locked
exec target/release/backstop demo "$@"
