#!/usr/bin/env bash
# Runs the bench on a profile-guided (PGO) build of the bench executable, and so of every
# server it measures: the axum echo, rmcp and this runtime are one executable, built and
# trained the same way, so the ratios still compare like with like.
#
#   scripts/bench-pgo.sh [bench arguments…]     e.g. scripts/bench-pgo.sh --rounds 5 --duration 4
#
# 1. builds the bench instrumented (`-Cprofile-generate`);
# 2. trains it: one short run of every row (HTTP and stdio), each server stopped with SIGTERM
#    so that it writes its profile as it exits;
# 3. merges the profiles with `llvm-profdata` (the toolchain's `llvm-tools` component,
#    added here when missing);
# 4. builds it again with the profile (`-Cprofile-use`) and runs it with the given arguments.
#
# Both builds live under target/pgo (two clean release builds: about 13 minutes on two
# cores). The same four steps build any server on this runtime with PGO; see
# docs/benchmarks.md, "Profile-guided builds".
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)/target/pgo"
data="$root/profiles"

sysroot="$(rustc --print sysroot)"
host="$(rustc -vV | sed -n 's/^host: //p')"
profdata="$sysroot/lib/rustlib/$host/bin/llvm-profdata"
if [ ! -x "$profdata" ]; then
  echo "bench-pgo: adding the llvm-tools component (for llvm-profdata)" >&2
  rustup component add llvm-tools
fi

echo "bench-pgo: 1/4 instrumented build" >&2
rm -rf "$data"
CARGO_TARGET_DIR="$root/generate" RUSTFLAGS="-Cprofile-generate=$data" \
  BENCH_BUILD="instrumented build" cargo build -p bench --release --locked

echo "bench-pgo: 2/4 training run (every row once, short)" >&2
"$root/generate/release/bench" --rounds 1 --duration 2 --warmup 1 \
  --fresh-tokens 5000 --stdio-requests 10000 >/dev/null

echo "bench-pgo: 3/4 merging the profiles" >&2
"$profdata" merge -o "$root/merged.profdata" "$data"

echo "bench-pgo: 4/4 profile-guided build" >&2
CARGO_TARGET_DIR="$root/use" RUSTFLAGS="-Cprofile-use=$root/merged.profdata" \
  BENCH_BUILD="profile-guided build (scripts/bench-pgo.sh)" \
  cargo build -p bench --release --locked

exec "$root/use/release/bench" "$@"
