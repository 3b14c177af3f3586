#!/bin/sh
# Issue 11's figures, as ratios measured in one run (release build, warm cache):
#   1. capture of 001.001 of a copy of SOURCE (default /usr/lib) vs `ostree commit` into a fresh
#      `ostree init --mode=bare` repository;
#   2. after 10 files change: capture of 001.002 vs ostree's second commit, and vs our first;
#   3. capture --rehash (001.003) vs our first capture;
#   4. store growth for 001.002 (node + build) vs the changed bytes + the two new transcripts;
#   5. verify of the store holding 001.001 and 001.002 (nodes and builds) vs verify of a store
#      holding 001.001 only;
#   6. capture of a node of EMPTY (default 1,000,000) empty files (1,000 directories) vs `cp -a`
#      of the same tree onto the store's filesystem, with capture's peak RSS.
# Needs ostree (optional bench dependency: `apt-get install -y ostree`) and /usr/bin/time.
# Usage: scripts/bench-share.sh [SOURCE] [EMPTY]   (BIN=path/to/loadsmith to skip the build)
# On a shared machine run it under the build lock: flock /tmp/loadsmith-build.lock scripts/bench-share.sh
set -eu
cd "$(dirname "$0")/.."
SOURCE=${1:-/usr/lib}
EMPTY=${2:-1000000}
command -v ostree >/dev/null || { echo "bench-share: ostree is missing (apt-get install -y ostree)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench-share: /usr/bin/time is missing (apt-get install -y time)" >&2; exit 2; }
if [ -z "${BIN:-}" ]; then
  swift build -c release --product loadsmith >&2
  BIN="$(swift build -c release --show-bin-path)/loadsmith"
fi
WORK=$(mktemp -d /tmp/bench-share.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
T="$WORK/time"
secs() { awk '{print $1}' "$T"; }
timed() { /usr/bin/time -o "$T" -f "%e %M" "$@" >/dev/null; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }
# Regular-file bytes, each inode once (directories are reported apart: the file tree mirrors
# every path, as radmind's server layout requires).
du_bytes() { find "$1" -type f -printf '%i %s\n' | sort -u | awk '{ s += $2 } END { printf "%.0f\n", s }'; }
dirs() { find "$1" -type d | wc -l; }
sub=$(basename "$SOURCE")

mkdir -p "$WORK/stage"
cp -a "$SOURCE" "$WORK/stage/$sub"
find "$WORK/stage" -type f -print0 | xargs -0 cat >/dev/null 2>&1 || true   # warm cache
"$BIN" init "$WORK/store" >/dev/null
CAP="$BIN capture $WORK/stage --store $WORK/store --loadset bench-lib-bin-linux --node /$sub"

# 1. First capture vs ostree's first commit.
sleep 1   # the staged files must be strictly older than the capture's start (racy rule)
timed $CAP --version 001.001; ours1=$(secs)
"$BIN" build bench-lib-bin-linux 001.001 --store "$WORK/store" >/dev/null
ostree init --repo="$WORK/repo" --mode=bare
timed ostree commit --repo="$WORK/repo" --branch=bench --tree=dir="$WORK/stage/$sub"; ost1=$(secs)
cp -al "$WORK/store" "$WORK/store1"   # the one-version store for step 5 (links: no extra space)

# 2. Ten files change (the first ten regular files over 4 KiB, one byte appended each).
changed=0
for f in $(find "$WORK/stage/$sub" -type f -size +4k | sort | head -10); do
  printf 'x' >> "$f"; changed=$((changed + $(stat -c %s "$f")))
done
sleep 1
before=$(du_bytes "$WORK/store"); dirs_before=$(dirs "$WORK/store")
timed $CAP --version 001.002; ours2=$(secs)
"$BIN" build bench-lib-bin-linux 001.002 --store "$WORK/store" >/dev/null
after=$(du_bytes "$WORK/store"); dirs_after=$(dirs "$WORK/store")
timed ostree commit --repo="$WORK/repo" --branch=bench --tree=dir="$WORK/stage/$sub"; ost2=$(secs)
tsize=$(( $(stat -c %s "$WORK/store/transcript/bench-lib-bin-linux-001.002-node1.T") + $(stat -c %s "$WORK/store/transcript/bench-lib-bin-linux-001.002.T") ))

# 5. verify: two versions (nodes and builds) vs one.
timed "$BIN" verify --store "$WORK/store1"; v1=$(secs)
timed "$BIN" verify --store "$WORK/store"; v2=$(secs)

# 3. --rehash.
timed $CAP --version 001.003 --rehash; rehash=$(secs)

echo "capture 001.001: ${ours1} s; ostree commit: ${ost1} s; ratio $(ratio "$ours1" "$ost1") (target <= 0.25)"
echo "capture 001.002 (10 files changed): ${ours2} s; ostree second commit: ${ost2} s; ratio $(ratio "$ours2" "$ost2") (target <= 0.1); vs our first $(ratio "$ours2" "$ours1") (target <= 0.3)"
echo "capture --rehash: ${rehash} s; vs our first $(ratio "$rehash" "$ours1") (target <= 0.6)"
echo "store growth for 001.002 (node + build): $((after - before)) bytes; changed files $changed + transcripts $tsize bytes; excess $((after - before - changed - tsize)) bytes (target <= 1048576); plus $((dirs_after - dirs_before)) new directories"
echo "verify, 2 versions vs 1: ${v2} s / ${v1} s = $(ratio "$v2" "$v1") (target <= 1.2)"
rm -rf "$WORK/stage" "$WORK/repo" "$WORK/store" "$WORK/store1"

# 6. A node of EMPTY empty files: capture vs cp -a, and capture's peak RSS.
python3 - "$WORK/empty/tree" "$EMPTY" <<'EOF'
import os, sys
root, n, per = sys.argv[1], int(sys.argv[2]), 1000
os.makedirs(root)
for d in range((n + per - 1) // per):
    p = os.path.join(root, "d%04d" % d); os.mkdir(p)
    for i in range(min(per, n - d * per)):
        os.close(os.open(os.path.join(p, "f%04d" % i), os.O_CREAT | os.O_WRONLY, 0o644))
EOF
"$BIN" init "$WORK/estore" >/dev/null
sleep 1
timed "$BIN" capture "$WORK/empty" --store "$WORK/estore" --loadset bench-empty-bin-linux --node /tree
ecap=$(secs); erss=$(awk '{print $2}' "$T")
rm -rf "$WORK/estore"
timed cp -a "$WORK/empty/tree" "$WORK/ecopy"; ecp=$(secs)
echo "capture of $EMPTY empty files: ${ecap} s, peak RSS $((erss / 1024)) MiB (target <= 64); cp -a: ${ecp} s; ratio $(ratio "$ecap" "$ecp") (target <= 1.0)"
