#!/usr/bin/env bash
# Installs what `cargo run -p bench --release` needs besides Rust, from Debian's packages:
# wrk, the HTTP load generator, and valgrind (for `--instructions`, the instruction counts).
# Idempotent: installs only what is missing.
set -euo pipefail

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)

if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
  fi
  echo "setup-bench: apt-get install ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "setup-bench: $(wrk --version 2>&1 | head -n 1)" >&2
echo "setup-bench: $(valgrind --version)" >&2
