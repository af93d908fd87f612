#!/usr/bin/env bash
# Installs the services the scale-out tests start on loopback (each test runs its own processes
# with ephemeral ports and temporary directories; no system service is used):
#   redis-server  - the shared store of rate limits, legacy sessions and single-use records
#   nginx         - the load balancer in front of the replicas
# Both come from Debian's packages. Idempotent: does nothing when both binaries are present.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing+=(nginx)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-services: apt-get install ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # --no-install-recommends: the binaries only; the packages' own services are not used.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The packages start their system services; the tests never use them.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now redis-server nginx >/dev/null 2>&1 || true
fi
echo "setup-services: $(redis-server --version | cut -d' ' -f1-3), $( (/usr/sbin/nginx -v 2>&1 || nginx -v 2>&1) | head -1)" >&2
