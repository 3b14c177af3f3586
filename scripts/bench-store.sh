#!/bin/sh
# Issue 6's capture figure, as a ratio measured in the same run (alternating):
#   loadsmith capture STAGING --node /tree   (capture + copy into a fresh store, published)
#   vs  loadsmith fsdiff -C -c sha1 STAGING/tree > /dev/null  +  cp -a STAGING/tree DEST  +  sync
# The store's publish ends with one syncfs, so the baseline syncs too.
# Usage: scripts/bench-store.sh TREE [ROUNDS]
#   TREE: a directory to capture (e.g. scripts/gen-archive-tree.py's 20k-file / 1 GB tree)
set -eu
cd "$(dirname "$0")/.."
TREE=$(cd "$1" && pwd)
ROUNDS=${2:-2}
swift build -c release --product loadsmith >&2
BIN="$(swift build -c release --show-bin-path)/loadsmith"
WORK=$(mktemp -d "$(dirname "$TREE")/.bench-store.XXXXXX")   # same filesystem as the tree
trap 'rm -rf "$WORK"' EXIT

# The staging root must hold the tree itself (symlinks are captured, never followed): bind-mount it.
mkdir -p "$WORK/staging/tree"
mount --bind "$TREE" "$WORK/staging/tree"
trap 'umount "$WORK/staging/tree"; rm -rf "$WORK"' EXIT
T="$WORK/time"
cat "$TREE"/*/* >/dev/null 2>&1 || find "$TREE" -type f -print0 | xargs -0 cat >/dev/null
for r in $(seq "$ROUNDS"); do
  rm -rf "$WORK/store" "$WORK/copy"; sync
  /usr/bin/time -o "$T" -f "%e %U %S" "$BIN" init "$WORK/store" >/dev/null
  /usr/bin/time -o "$T" -f "%e %U %S" "$BIN" capture "$WORK/staging" --store "$WORK/store" \
    --loadset bench-tree-bin-linux --node /tree --version 001.001 -c sha1 >/dev/null
  echo "store $(cat "$T")"
  rm -rf "$WORK/store"; sync
  /usr/bin/time -o "$T" -f "%e %U %S" sh -c "'$BIN' fsdiff -C -c sha1 -K /dev/null '$WORK/staging/tree' >/dev/null && cp -a '$WORK/staging/tree' '$WORK/copy' && sync"
  echo "baseline $(cat "$T")"
  rm -rf "$WORK/copy"
done | awk '{ w[$1] += $2; c[$1] += $3 + $4; print }
  END { printf "capture into the store / (fsdiff -C -c sha1 + cp -a + sync): wall %.2f, cpu %.2f\n", w["store"] / w["baseline"], c["store"] / c["baseline"] }'
