#!/bin/sh
# Archive benchmark: our parallel tar+gzip vs GNU `tar -czf` / `tar -xzf`, in one run,
# alternating, on a ~1 GB text-like tree of ~20k files. Rerunnable; the tree is kept.
#   scripts/bench-archive.sh [TREE_DIR] [WORK_DIR]
set -eu
cd "$(dirname "$0")/.."
TREE=${1:-/work/bench-archive-data/tree}
WORK=${2:-$(dirname "$TREE")}
if [ ! -d "$TREE" ]; then
  python3 scripts/gen-archive-tree.py "$TREE"
fi
# `swift test -c release` builds optimized modules with testable imports enabled.
LOADSMITH_ARCHIVE_BENCH="$TREE" LOADSMITH_ARCHIVE_BENCH_WORK="$WORK" \
  swift test -c release --filter 'BenchmarkTests' 2>&1 | grep -E 'ARCHIVE-BENCH|✘|error|passed|failed'
