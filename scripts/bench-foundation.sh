#!/bin/sh
# Issue 2's figures, as ratios measured in one run (the machine is shared: alternate, repeat):
#   lsort -o OUT A.shuf.T   vs  LC_ALL=C sort -o OUT A.shuf.T    (1.3M lines, shuffled)
#   loadsmith check A.T     throughput in GB/s (wall and per CPU-second), peak RSS
# Usage: scripts/bench-foundation.sh [ROUNDS]   (WORK=dir keeps the inputs between runs)
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
WORK=${WORK:-${TMPDIR:-/tmp}/loadsmith-bench-foundation}
mkdir -p "$WORK"
swift build -c release --product loadsmith >&2
BIN="$(swift build -c release --show-bin-path)/loadsmith"
GEN=../shared/bench/gen-transcript.py
[ -s "$WORK/A.T" ] || python3 "$GEN" --entries 1300000 > "$WORK/A.T"
[ -s "$WORK/A.shuf.T" ] || python3 -c "import random,sys; l=open(sys.argv[1],'rb').readlines(); random.Random(7).shuffle(l); open(sys.argv[2],'wb').writelines(l)" "$WORK/A.T" "$WORK/A.shuf.T"
SIZE=$(stat -c %s "$WORK/A.T")

measure() {  # label command...: prints "label wall user sys maxrss_kb"
  label=$1; shift
  /usr/bin/time -f "$label %e %U %S %M" "$@" 2>&1 >/dev/null | tail -1
}
for r in $(seq "$ROUNDS"); do
  measure gnusort env LC_ALL=C sort -o "$WORK/out1.T" "$WORK/A.shuf.T"
  measure lsort "$BIN" lsort -o "$WORK/out2.T" "$WORK/A.shuf.T"
  cmp -s "$WORK/out2.T" "$WORK/A.T" || echo "lsort output differs from the sorted input!" >&2
  measure check "$BIN" check "$WORK/A.T"
done | awk -v size="$SIZE" '
  { wall[$1] += $2; cpu[$1] += $3 + $4; if ($5 > rss[$1]) rss[$1] = $5; n[$1]++ }
  END {
    printf "lsort / LC_ALL=C sort: wall %.2f, cpu %.2f; lsort peak RSS %d MiB (sort %d MiB)\n",
      wall["lsort"] / wall["gnusort"], cpu["lsort"] / cpu["gnusort"], rss["lsort"] / 1024, rss["gnusort"] / 1024
    printf "check: %.2f GB/s wall, %.2f GB/s per CPU-second, peak RSS %d MiB\n",
      size * n["check"] / wall["check"] / 1e9, size * n["check"] / cpu["check"] / 1e9, rss["check"] / 1024
  }'
