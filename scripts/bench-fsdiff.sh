#!/bin/sh
# Issue 15's fsdiff figures, as ratios of medians over alternating pairs (the machine is shared:
# tool and baseline run back to back, in alternating order, ROUNDS times; both write to a file):
#   fsdiff -C -K /dev/null TREE -o OUT          vs  find TREE -xdev -printf '%m %U %G %T@ %s\n' > OUT
#   fsdiff -C -c sha1 -K /dev/null TREE -o OUT  vs  find TREE -xdev -type f -print0 | xargs -0 -n 2000 sha1sum > OUT
# Goals: <= 0.8 and <= 0.28 (wall). Also prints CPU ratios and fsdiff's peak RSS.
# Usage: scripts/bench-fsdiff.sh [ROUNDS] [TREE]   (default 5, /usr)
# Environment: BIN=path/to/loadsmith (skip the build), ONLY=plain|sha1 (one row).
# Run it under the shared build lock: flock /tmp/loadsmith-build.lock scripts/bench-fsdiff.sh
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
TREE=${2:-/usr}
ONLY=${ONLY:-}
if [ -z "${BIN:-}" ]; then
  swift build -c release --product loadsmith >&2
  BIN="$(swift build -c release --show-bin-path)/loadsmith"
fi
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
timed() {  # label command...: prints "label wall cpu rss_kb"
  label=$1; shift
  /usr/bin/time -o "$W/time" -f "%e %U %S %M" "$@" >/dev/null 2>&1 || true
  awk -v l="$label" '{ printf "%s %s %.2f %s\n", l, $1, $2 + $3, $4 }' "$W/time"
}
plain_base() { timed find sh -c "find '$TREE' -xdev -printf '%m %U %G %T@ %s\n' > '$W/find.out'"; }
plain_tool() { timed fsdiff "$BIN" fsdiff -C -K /dev/null -o "$W/fsdiff.T" "$TREE"; }
sha1_base() { timed sha1sum sh -c "find '$TREE' -xdev -type f -print0 | xargs -0 -n 2000 sha1sum > '$W/sha1.out'"; }
sha1_tool() { timed fsdiff-sha1 "$BIN" fsdiff -C -c sha1 -K /dev/null -o "$W/fsdiff-sha1.T" "$TREE"; }
# Warm the page cache once.
find "$TREE" -xdev -type f -print0 | xargs -0 -n 2000 cat >/dev/null 2>&1 || true
for r in $(seq "$ROUNDS"); do
  for row in plain sha1; do
    [ -n "$ONLY" ] && [ "$ONLY" != "$row" ] && continue
    if [ $((r % 2)) -eq 1 ]; then "${row}_base"; "${row}_tool"; else "${row}_tool"; "${row}_base"; fi
  done
done | awk '
  function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  { n[$1]++; wall[$1, n[$1]] = $2; cpu[$1, n[$1]] = $3; if ($4 > rss[$1]) rss[$1] = $4 }
  function row(title, tool, base, goal,   i, w, c, bw, bc, tw, tc, k) {
    k = n[tool]; if (k == 0) return
    for (i = 1; i <= k; i++) { w[i] = wall[tool, i] / wall[base, i]; c[i] = cpu[tool, i] / cpu[base, i]
      tw[i] = wall[tool, i]; bw[i] = wall[base, i]; tc[i] = cpu[tool, i]; bc[i] = cpu[base, i] }
    printf "%s: wall %.3f (goal <= %s), cpu %.3f; medians %.2fs vs %.2fs wall, %.2fs vs %.2fs cpu; peak RSS %d MiB; %d pairs\n",
      title, median(w, k), goal, median(c, k), median(tw, k), median(bw, k), median(tc, k), median(bc, k), rss[tool] / 1024, k
  }
  END {
    row("fsdiff -C (no checksums) / find -printf", "fsdiff", "find", "0.8")
    row("fsdiff -C -c sha1 / find | xargs sha1sum", "fsdiff-sha1", "sha1sum", "0.28")
  }'
