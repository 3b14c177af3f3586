#!/bin/sh
# Benchmarks lmerge, loadsmith diff and the node concatenator against baselines measured in the
# same run (the machine is shared: quote ratios, not seconds).
#
#   scripts/bench-merge.sh [WORKDIR]        (default /tmp/loadsmith-bench-merge; RUNS=3)
#
# Needs a release build: swift build -c release --product loadsmith
set -eu
HERE=$(cd "$(dirname "$0")/.." && pwd)
BIN=${LOADSMITH:-$HERE/.build/release/loadsmith}
W=${1:-/tmp/loadsmith-bench-merge}
RUNS=${RUNS:-3}
GEN=/work/shared/bench/gen-transcript.py
mkdir -p "$W" && cd "$W"
[ -x "$BIN" ] || { echo "no release binary at $BIN" >&2; exit 2; }
[ -s A.T ] || python3 "$GEN" --entries 1300000 > A.T
[ -s B.T ] || python3 "$GEN" --entries 1300000 --variant 7 > B.T
mkdir -p D

# time_of LABEL CMD...: appends "seconds maxrss_kib" to $W/LABEL.times
time_of() {
  label=$1; shift
  /usr/bin/time -f "%e %M" -o "$W/.t" "$@" >/dev/null 2>&1 || true
  cat "$W/.t" >> "$W/$label.times"
}
median() { sort -n "$W/$1.times" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
maxrss() { sort -n -k2 "$W/$1.times" | tail -1 | awk '{printf "%.1f", $2/1024}'; }
rm -f "$W"/*.times

i=0
while [ $i -lt "$RUNS" ]; do
  time_of sort sh -c 'LC_ALL=C sort -m B.T A.T >/dev/null'
  time_of lmerge "$BIN" lmerge -D D -T B.T A.T OUT.T
  time_of gnudiff sh -c 'diff A.T B.T >/dev/null; exit 0'
  time_of ldiff sh -c "\"$BIN\" diff A.T B.T >/dev/null; exit 0"
  i=$((i + 1))
done
echo "lmerge -T   $(median lmerge) s  (sort -m $(median sort) s)  ratio $(echo "$(median lmerge) $(median sort)" | awk '{printf "%.2f", $1/$2}')  peak RSS $(maxrss lmerge) MiB"
echo "diff        $(median ldiff) s  (GNU diff $(median gnudiff) s)  ratio $(echo "$(median ldiff) $(median gnudiff)" | awk '{printf "%.2f", $1/$2}')  peak RSS $(maxrss ldiff) MiB"

# Node concatenation: 4 node loadsets of 25k files each, hard-linked into one build.
if [ ! -d nodes/transcript ]; then
  python3 - <<'PY'
import os
root = "nodes"
os.makedirs(root + "/transcript", exist_ok=True)
for n in range(1, 5):
    lines = ["d ./srv                                 \t0755     0     0\n",
             "d ./srv/node%d                           \t0755     0     0\n" % n]
    for d in range(100):
        dp = "./srv/node%d/d%03d" % (n, d)
        lines.append("d %-37s\t0755     0     0\n" % dp)
        os.makedirs("%s/file/n%d.T/%s" % (root, n, dp[2:]), exist_ok=True)
        for f in range(250):
            fp = "%s/f%03d" % (dp, f)
            with open("%s/file/n%d.T/%s" % (root, n, fp[2:]), "w") as fh:
                fh.write("x")
            lines.append("f %-37s\t0644     0     0 1600000000       1 -\n" % fp)
    with open("%s/transcript/n%d.T" % (root, n), "w") as fh:
        fh.writelines(lines)
PY
fi
rm -rf nodes/transcript/build.T nodes/file/build.T
start=$(date +%s.%N)
"$BIN" concat -D nodes --into nodes/transcript/build.T \
  node1=nodes/transcript/n1.T node2=nodes/transcript/n2.T node3=nodes/transcript/n3.T node4=nodes/transcript/n4.T
end=$(date +%s.%N)
echo "concat      4 x 25000 files in $(echo "$start $end" | awk '{printf "%.2f", $2-$1}') s = $(echo "$start $end" | awk '{printf "%.0f", 100000/($2-$1)}') files linked/s"
