#!/bin/sh
# DSL benchmark (release build): `loadsmith archive` vs `tar -czf OUT -C FILEDIR .` and
# `loadsmith restore` (with its verification of every checksum) vs `tar -xzf` of the same archive,
# alternating in one run, wall and CPU (user+sys) time for each. Rerunnable: the ~1 GB / 20k-file
# text-like loadset is captured once into a store under WORK and kept.
#   scripts/bench-dsl.sh [WORK_DIR] [ROUNDS]      (default /work/bench-dsl-data, 4 rounds)
# LOADSMITH=path skips the release build; TREE=dir uses an existing generated tree.
# Restore is also compared on a tmpfs (when one can be mounted): the disk is shared with other
# work, and its writeback (and the store's one syncfs before publishing) then dominates the wall time.
set -eu
cd "$(dirname "$0")/.."
WORK=${1:-/work/bench-dsl-data}
ROUNDS=${2:-4}
TREE=${TREE:-/work/bench-archive-data/tree}
if [ -z "${LOADSMITH:-}" ]; then
  swift build -c release --product loadsmith >&2
  LOADSMITH="$(swift build -c release --show-bin-path)/loadsmith"
fi
SERIES=bench-data-bin-linux
NAME=$SERIES-001.001
STORE=$WORK/store
mkdir -p "$WORK"
if [ ! -d "$TREE" ]; then python3 scripts/gen-archive-tree.py "$TREE"; fi
if [ ! -f "$STORE/transcript/$NAME.T" ]; then
  echo "capturing the benchmark loadset (once) ..." >&2
  rm -rf "$WORK/staging" "$STORE"
  mkdir -p "$WORK/staging"
  cp -al "$TREE" "$WORK/staging/data"          # hard links: no second copy of the tree
  "$LOADSMITH" init "$STORE" >/dev/null
  "$LOADSMITH" capture "$WORK/staging" --store "$STORE" --loadset $SERIES --node /data --version 001.001 >/dev/null
  "$LOADSMITH" build $SERIES 001.001 --store "$STORE" >/dev/null
  rm -rf "$WORK/staging"
fi
FILEDIR=$STORE/file/$NAME.T
echo "loadset: $NAME, $(grep -c '^f ' "$STORE/transcript/$NAME.T") files, $(du -sb "$FILEDIR" | cut -f1) bytes" >&2

# run LABEL CMD...: prints "LABEL wall user sys" (children's rusage of exactly this command).
run() {
  label=$1; shift
  python3 - "$label" "$@" <<'EOF'
import os, resource, subprocess, sys, time
label, cmd = sys.argv[1], sys.argv[2:]
before = resource.getrusage(resource.RUSAGE_CHILDREN)
t = time.monotonic()
r = subprocess.run(cmd, stdout=subprocess.DEVNULL)
wall = time.monotonic() - t
after = resource.getrusage(resource.RUSAGE_CHILDREN)
if r.returncode != 0:
    sys.exit(f"{label}: {' '.join(cmd)} exited {r.returncode}")
print(f"{label} {wall:.3f} {after.ru_utime - before.ru_utime:.3f} {after.ru_stime - before.ru_stime:.3f}")
EOF
}

RESULTS=$WORK/results.txt
: > "$RESULTS"
DSL=$WORK/dsl
OURS=$DSL/bench/data/bin/$NAME.tar.gz
GNU=$WORK/gnu.tar.gz
for i in $(seq 1 "$ROUNDS"); do
  rm -rf "$DSL" "$GNU" "$WORK/restore-store" "$WORK/gnu-x"
  mkdir -p "$DSL" "$WORK/gnu-x"
  sync
  # Odd rounds run ours first, even rounds GNU tar first (page cache and writeback order).
  if [ $((i % 2)) -eq 1 ]; then
    run archive "$LOADSMITH" archive "$SERIES@001.001" --store "$STORE" --dsl "$DSL" >> "$RESULTS"
    run tar-czf tar -czf "$GNU" -C "$FILEDIR" . >> "$RESULTS"
    sync
    run restore "$LOADSMITH" restore "$OURS" --store "$WORK/restore-store" >> "$RESULTS"
    run tar-xzf tar -xzf "$OURS" -C "$WORK/gnu-x" >> "$RESULTS"
  else
    run tar-czf tar -czf "$GNU" -C "$FILEDIR" . >> "$RESULTS"
    run archive "$LOADSMITH" archive "$SERIES@001.001" --store "$STORE" --dsl "$DSL" >> "$RESULTS"
    sync
    run tar-xzf tar -xzf "$OURS" -C "$WORK/gnu-x" >> "$RESULTS"
    run restore "$LOADSMITH" restore "$OURS" --store "$WORK/restore-store" >> "$RESULTS"
  fi
  echo "round $i done" >&2
done
TMPFS=$WORK/tmpfs
mkdir -p "$TMPFS"
if mount -t tmpfs -o size=3g tmpfs "$TMPFS" 2>/dev/null; then
  cp "$OURS" "$DSL/bench/data/bin/$NAME.manifest.json" "$TMPFS/"
  for i in $(seq 1 "$ROUNDS"); do
    rm -rf "$TMPFS/store" "$TMPFS/gnu-x"; mkdir -p "$TMPFS/gnu-x"
    run restore-tmpfs "$LOADSMITH" restore "$TMPFS/$NAME.tar.gz" --store "$TMPFS/store" >> "$RESULTS"
    run tar-xzf-tmpfs tar -xzf "$TMPFS/$NAME.tar.gz" -C "$TMPFS/gnu-x" >> "$RESULTS"
  done
  umount "$TMPFS"
else
  echo "no tmpfs (not root?): restore compared on disk only" >&2
fi
OURS_SIZE=$(stat -c %s "$OURS")
GNU_SIZE=$(stat -c %s "$GNU")
"$LOADSMITH" verify "$NAME" --store "$WORK/restore-store" | tail -1 >&2
rm -rf "$WORK/restore-store" "$WORK/gnu-x"

python3 - "$RESULTS" "$OURS_SIZE" "$GNU_SIZE" "$ROUNDS" <<'EOF'
import sys
rows = [l.split() for l in open(sys.argv[1])]
ours_size, gnu_size, rounds = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def col(label, i): return [float(r[i]) for r in rows if r[0] == label]
def cpu(label): return [float(r[2]) + float(r[3]) for r in rows if r[0] == label]
def f(xs): return "[" + ", ".join(f"{x:.2f}" for x in xs) + "]"
print(f"DSL-BENCH rounds={rounds} (wall s, each round; CPU = user+sys s)")
for ours, theirs in [("archive", "tar-czf"), ("restore", "tar-xzf"), ("restore-tmpfs", "tar-xzf-tmpfs")]:
    if not col(ours, 1): continue
    ow, tw, oc, tc = col(ours, 1), col(theirs, 1), cpu(ours), cpu(theirs)
    print(f"DSL-BENCH {ours}: wall {f(ow)} vs {theirs} {f(tw)}; ratio best {min(ow)/min(tw):.3f}, median {sorted(ow)[len(ow)//2]/sorted(tw)[len(tw)//2]:.3f}")
    print(f"DSL-BENCH {ours}: CPU  {f(oc)} vs {theirs} {f(tc)}; ratio (sums) {sum(oc)/sum(tc):.3f}")
print(f"DSL-BENCH size: ours {ours_size} B, tar -czf {gnu_size} B, ratio {ours_size/gnu_size:.4f}")
EOF
