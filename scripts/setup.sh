#!/usr/bin/env bash
# Installs everything spine needs on Debian 12, idempotently: apt packages, cargo-pgrx 0.18.1,
# the pgrx configuration for the system PostgreSQL 15, and the ONNX Runtime library
# (scripts/onnxruntime.sh: from the PyPI wheel onnxruntime==1.31.1).
set -euo pipefail
cd "$(dirname "$0")/.."
PKGS=(postgresql-15 postgresql-server-dev-15 clang libclang-dev postgresql-15-cron postgresql-15-pgtap
      libtap-parser-sourcehandler-pgtap-perl sudo pkg-config make)
PGRX_VERSION=0.18.1
PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing packages ${missing[*]}; run 'make setup' as root (apt-get)." >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's postgresql-common starts a 'main' cluster on port 5432; spine never uses it.

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found; install Rust (rustup) first." >&2
  exit 1
fi
if [ "$(cargo pgrx --version 2>/dev/null || true)" != "cargo-pgrx $PGRX_VERSION" ]; then
  echo "setup: installing cargo-pgrx $PGRX_VERSION (a few minutes)"
  cargo install cargo-pgrx --version "$PGRX_VERSION" --locked --force
fi
PGRX_HOME=${PGRX_HOME:-$HOME/.pgrx}
if ! grep -qs "pg15 = \"$PG_CONFIG\"" "$PGRX_HOME/config.toml"; then
  cargo pgrx init --pg15="$PG_CONFIG"
fi
scripts/onnxruntime.sh
echo "setup: ok (PostgreSQL $($PG_CONFIG --version | awk '{print $2}'), $(cargo pgrx --version))"
