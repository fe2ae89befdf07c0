#!/usr/bin/env bash
# Installs the Debian packages backstop's tests and demo need, when missing.
# As root it installs them; otherwise it prints the exact command and fails.
# Usage: scripts/deps.sh test|demo
set -euo pipefail

want=${1:-test}
missing=()
have_bin() { command -v "$1" >/dev/null 2>&1; }
pg_server() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }

pg_server || missing+=(postgresql)
have_bin pgbackrest || missing+=(pgbackrest)
if [ "$want" = test ]; then
  have_bin promtool || missing+=(prometheus)
  have_bin amtool || missing+=(prometheus-alertmanager)
  { have_bin haproxy || [ -x /usr/sbin/haproxy ]; } || missing+=(haproxy)
  have_bin chromium || missing+=(chromium)
  have_bin node || missing+=(nodejs)
  have_bin npm || missing+=(npm)
fi

# The status page's browser tests (tests/browser): playwright-core and axe-core, pinned by the
# committed package-lock.json, installed once.
browser_modules() {
  if [ "$want" = test ] && [ ! -d "$(dirname "$0")/../tests/browser/node_modules" ]; then
    echo "backstop: npm ci --prefix tests/browser" >&2
    npm ci --prefix "$(dirname "$0")/../tests/browser" --no-audit --no-fund >&2
  fi
}

# schemathesis (tests/it/api/schemathesis.rs) lives in a venv under target/ (Debian's pip
# refuses system installs); needs python3-venv.
SCHEMATHESIS=4.32.5
venv_test() {
  local venv
  venv="$(dirname "$0")/../target/venv-test"
  if [ -x "$venv/bin/st" ] && "$venv/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS"; then
    return 0
  fi
  python3 -m venv "$venv" && "$venv/bin/pip" install -q "schemathesis==$SCHEMATHESIS"
}
if [ "$want" = test ]; then
  python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
fi

if [ ${#missing[@]} -eq 0 ]; then
  if [ "$want" = test ]; then venv_test; fi
  browser_modules
  exit 0
fi
cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "backstop: missing packages: ${missing[*]}" >&2
  echo "install them as root:  sudo sh -c '$cmd'" >&2
  exit 1
fi
echo "backstop: installing ${missing[*]}" >&2
sh -c "$cmd" >&2
if [ "$want" = test ]; then venv_test; fi
# Debian's packages start services where they can; the tests create their own clusters and
# never use the system ones, so nothing else is needed here.
browser_modules
