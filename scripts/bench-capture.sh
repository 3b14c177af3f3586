#!/bin/sh
# Issue 4's capture figures, as ratios measured in the same run (tool and baseline alternated):
#   fsdiff -C -K /dev/null /usr          vs  find /usr -xdev -printf '%m %U %G %T@ %s\n'
#   fsdiff -C -c sha1 -K /dev/null /usr  vs  find /usr -xdev -type f -print0 | xargs -0 -n 2000 sha1sum
# and fsdiff's peak RSS. Usage: scripts/bench-capture.sh [ROUNDS] [TREE]   (default 3, /usr)
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
TREE=${2:-/usr}
swift build -c release --product loadsmith >&2
BIN="$(swift build -c release --show-bin-path)/loadsmith"
T=$(mktemp)
trap 'rm -f "$T"' EXIT
timed() {  # label command...: appends "label wall cpu rss_kb"
  label=$1; shift
  /usr/bin/time -o "$T" -f "%e %U %S %M" "$@" >/dev/null 2>&1 || true
  awk -v l="$label" '{ printf "%s %s %.2f %s\n", l, $1, $2 + $3, $4 }' "$T"
}
# Warm the page cache once.
find "$TREE" -xdev -type f -print0 | xargs -0 -n 2000 cat >/dev/null 2>&1 || true
for r in $(seq "$ROUNDS"); do
  timed find sh -c "find '$TREE' -xdev -printf '%m %U %G %T@ %s\n'"
  timed fsdiff "$BIN" fsdiff -C -K /dev/null "$TREE"
  timed sha1sum sh -c "find '$TREE' -xdev -type f -print0 | xargs -0 -n 2000 sha1sum"
  timed fsdiff-sha1 "$BIN" fsdiff -C -c sha1 -K /dev/null "$TREE"
done | awk '
  { wall[$1] += $2; cpu[$1] += $3; if ($4 > rss[$1]) rss[$1] = $4 }
  END {
    printf "fsdiff -C (no checksums) / find -printf: wall %.2f, cpu %.2f; peak RSS %d MiB\n",
      wall["fsdiff"] / wall["find"], cpu["fsdiff"] / cpu["find"], rss["fsdiff"] / 1024
    printf "fsdiff -C -c sha1 / find | xargs sha1sum: wall %.2f, cpu %.2f; peak RSS %d MiB\n",
      wall["fsdiff-sha1"] / wall["sha1sum"], cpu["fsdiff-sha1"] / cpu["sha1sum"], rss["fsdiff-sha1"] / 1024
  }'
