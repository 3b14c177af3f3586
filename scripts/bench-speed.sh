#!/bin/sh
# Issue 15's speed ratios, measured the one way they are quoted: Loadsmith and its baseline run in
# alternating pairs (ours, baseline, ours, baseline, ...), PAIRS pairs per job, and the report gives
# the median wall time and the median CPU time (user + system) of each side and their ratios.
# Both sides write where the tool writes: `-o` files for the sorts, the merged transcript for lmerge.
#
#   lsort -o OUT A.shuf.T                  vs  LC_ALL=C sort -o OUT A.shuf.T         (goal <= 0.8)
#   lmerge -D DIR -T B.T A.T OUT           vs  LC_ALL=C sort -m B.T A.T -o /dev/null (goal <= 1.2)
#   fsdiff -C -K /dev/null /usr            vs  find /usr -xdev -printf ...           (goal <= 0.8)
#   fsdiff -C -c sha1 -K /dev/null /usr    vs  find | xargs -0 -n 2000 sha1sum      (goal <= 0.28)
#
# Usage: scripts/bench-speed.sh [PAIRS]            (default 5)
#   JOBS="lsort lmerge fsdiff fsdiff-sha1"  which rows to measure (default: all four)
#   WORK=/tmp/bm                            inputs (generated once, kept between runs) and outputs
#   TREE=/usr                               the tree for the fsdiff rows
#   LOCK=/tmp/loadsmith-build.lock          take this flock for each pair (the machine is shared)
#   LOADSMITH=path                          the binary (default: this checkout's release build)
#
# Why medians of alternating pairs: the machine is shared, so a burst of someone else's work lands
# on whichever command happens to run then. Sums over a few sequential rounds let one slow run
# decide the ratio; alternating spreads the disturbance over both sides and the median drops it.
set -eu
HERE=$(cd "$(dirname "$0")/.." && pwd)
SELF=$HERE/scripts/$(basename "$0")
PAIRS=${1:-5}
JOBS=${JOBS:-lsort lmerge fsdiff fsdiff-sha1}
WORK=${WORK:-/tmp/bm}
TREE=${TREE:-/usr}
BIN=${LOADSMITH:-$HERE/.build/release/loadsmith}
GEN=$HERE/../shared/bench/gen-transcript.py
[ -x "$BIN" ] || { echo "no release binary at $BIN: swift build -c release --product loadsmith" >&2; exit 2; }
mkdir -p "$WORK/D"
cd "$WORK"
T=$(mktemp)
trap 'rm -f "$T"' EXIT

inputs() {
  [ -s A.T ] || python3 "$GEN" --entries 1300000 > A.T
  [ -s B.T ] || python3 "$GEN" --entries 1300000 --variant 7 > B.T
  [ -s A.shuf.T ] || python3 -c "import random,sys; l=open(sys.argv[1],'rb').readlines(); random.Random(7).shuffle(l); open(sys.argv[2],'wb').writelines(l)" A.T A.shuf.T
  cat A.T B.T A.shuf.T >/dev/null  # warm the page cache
}

# timed SIDE SHELL-COMMAND: prints "SIDE wall cpu maxrss_kib" (its standard output discarded)
timed() {
  /usr/bin/time -o "$T" -f "%e %U %S %M" sh -c "exec $2" >/dev/null 2>&1 || echo "failed: $2" >&2
  awk -v s="$1" '{ printf "%s %s %.2f %s\n", s, $1, $2 + $3, $4 }' "$T"
}

# One pair, as its own process so that it can run under the lock.
if [ "${1:-}" = --pair ]; then
  [ -z "${4:-}" ] || sh -c "$4"  # untimed preparation (removing the previous run's output)
  timed ours "$2"
  timed base "$3"
  exit 0
fi

# pairs LABEL OURS BASE [PREP]: PAIRS alternating pairs of two shell commands (PREP, untimed,
# before each of ours), then the summary row.
pairs() {
  i=0
  while [ $i -lt "$PAIRS" ]; do
    if [ -n "${LOCK:-}" ]; then flock "$LOCK" "$SELF" --pair "$2" "$3" "${4:-}"; else "$SELF" --pair "$2" "$3" "${4:-}"; fi
    i=$((i + 1))
  done | summarize "$1"
}

summarize() {
  awk -v label="$1" '
    function median(a, n,   i, j, t) {
      for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    { n[$1]++; w[$1, n[$1]] = $2; c[$1, n[$1]] = $3; if ($4 > rss[$1]) rss[$1] = $4 }
    END {
      for (k = 1; k <= n["ours"]; k++) { ow[k] = w["ours", k]; oc[k] = c["ours", k] }
      for (k = 1; k <= n["base"]; k++) { bw[k] = w["base", k]; bc[k] = c["base", k] }
      mow = median(ow, n["ours"]); moc = median(oc, n["ours"]); mbw = median(bw, n["base"]); mbc = median(bc, n["base"])
      printf "%-12s wall %5.2f s vs %5.2f s = %.2fx   cpu %5.2f s vs %5.2f s = %.2fx   peak RSS %d MiB (baseline %d MiB)  [%d pairs]\n",
        label, mow, mbw, mow / mbw, moc, mbc, moc / mbc, rss["ours"] / 1024, rss["base"] / 1024, n["ours"]
    }'
}

case " $JOBS " in *" lsort "*|*" lmerge "*) inputs ;; esac
for job in $JOBS; do
  case $job in
    lsort)
      pairs "lsort" "'$BIN' lsort -o '$WORK/lsort.out' A.shuf.T" "env LC_ALL=C sort -o '$WORK/sort.out' A.shuf.T"
      cmp -s "$WORK/lsort.out" A.T || echo "lsort: output differs from A.T" >&2 ;;
    lmerge)
      # The previous run's 305 MB output is removed before each timed run: replacing it would
      # charge lmerge for freeing its blocks (1 s of system time on this disk, mounted with
      # discard), which the baseline, writing to /dev/null, never pays.
      pairs "lmerge -T" "'$BIN' lmerge -D D -T B.T A.T OUT.T" "env LC_ALL=C sort -m B.T A.T -o /dev/null" "rm -f OUT.T" ;;
    fsdiff)
      pairs "fsdiff -C" "'$BIN' fsdiff -C -K /dev/null '$TREE'" "find '$TREE' -xdev -printf '%m %U %G %T@ %s\\n'" ;;
    fsdiff-sha1)
      pairs "fsdiff -C -c" "'$BIN' fsdiff -C -c sha1 -K /dev/null '$TREE'" \
        "find '$TREE' -xdev -type f -print0 | xargs -0 -n 2000 sha1sum" ;;
    *) echo "unknown job $job" >&2; exit 2 ;;
  esac
done
