#!/usr/bin/env bash
# Installs what `cargo run -p bench --release` needs besides Rust: wrk, the HTTP load
# generator, from Debian's packages. Idempotent: does nothing when wrk is already installed.
set -euo pipefail

if command -v wrk >/dev/null 2>&1; then
  echo "setup-bench: $(wrk --version 2>&1 | head -n 1)" >&2
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "setup-bench: apt-get install wrk" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends wrk >/dev/null
echo "setup-bench: $(wrk --version 2>&1 | head -n 1)" >&2
