#!/bin/sh
# Issue 14's figures for `loadsmith serve`, from one run (release build):
#   a store of 1,000+ loadsets (48 series x 7 versions x (2 nodes + build), each released) and one
#   1.3M-line transcript (../shared/bench/gen-transcript.py, placed as a published loadset: its
#   transcript and metadata only, which is all the server reads);
#   median latency of the overview and a series page, and of a 100-line page from the middle of the
#   1.3M-line transcript (50 requests each, curl's time_total); wrk -t2 -c64 -d10s on the overview
#   (errors, p99); the server's peak RSS (VmHWM) at the end.
# Targets: overview and series <= 50 ms median; transcript page <= 20 ms; wrk: no errors, p99 <= 100 ms;
# peak RSS <= 64 MiB.
# Usage: scripts/bench-serve.sh   (BIN=DIR holding release loadsmith and loadsmith-serve skips the build;
#        GEN=path/to/gen-transcript.py; SERIES=48 VERSIONS=7 ENTRIES=1300000 to change the sizes)
set -eu
cd "$(dirname "$0")/.."
GEN=${GEN:-../shared/bench/gen-transcript.py}
[ -f "$GEN" ] || GEN=/work/shared/bench/gen-transcript.py
SERIES=${SERIES:-48}
VERSIONS=${VERSIONS:-7}
ENTRIES=${ENTRIES:-1300000}
if [ -z "${BIN:-}" ]; then
    swift build -c release --product loadsmith >&2
    swift build -c release --product loadsmith-serve >&2
    BIN="$(swift build -c release --show-bin-path)"
fi
for tool in wrk curl; do
    command -v $tool >/dev/null || { echo "bench-serve: needs $tool (apt-get install $tool)" >&2; exit 1; }
done
LS="$BIN/loadsmith"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/loadsmith-bench-serve.XXXXXX")
SERVER=""
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$WORK"' EXIT
export LOADSMITH_STORE="$WORK/store"
"$LS" init "$LOADSMITH_STORE" >/dev/null
cp -R fixtures/staging "$WORK/staging"

echo "making the store: $SERIES series x $VERSIONS versions x 3 loadsets ..." >&2
start=$(date +%s)
s=1
while [ "$s" -le "$SERIES" ]; do
    series="bench-app$s-bin-rhel5"
    v=1
    while [ "$v" -le "$VERSIONS" ]; do
        printf 'build %s of %s\n' "$v" "$series" > "$WORK/staging/usr/local/apache/htdocs/index.html"
        ver=$(printf '001.%03d' "$v")
        "$LS" capture "$WORK/staging" --loadset "$series" --node /usr/local/apache --node /etc/httpd --version "$ver" >/dev/null
        "$LS" build "$series" "$ver" >/dev/null
        "$LS" release "$series" "$ver" >/dev/null
        v=$((v + 1))
    done
    s=$((s + 1))
done
echo "  $(ls "$LOADSMITH_STORE/transcript" | wc -l) transcripts and pointers in $(( $(date +%s) - start )) s" >&2

echo "the $ENTRIES-line transcript ..." >&2
BIG=bench-big-bin-rhel5-001.001.T
python3 "$GEN" --entries "$ENTRIES" --seed 14 --prefix /usr > "$LOADSMITH_STORE/transcript/$BIG"
chmod 0444 "$LOADSMITH_STORE/transcript/$BIG"
cat > "$LOADSMITH_STORE/.loadsmith/meta/$BIG" <<META
name $BIG
type bin
digest sha1
entries $ENTRIES
files $(grep -c '^f ' "$LOADSMITH_STORE/transcript/$BIG")
bytes 0
paths absolute
created 2026-01-01T00:00:00.000Z
user bench
host bench
META
LINES=$(wc -l < "$LOADSMITH_STORE/transcript/$BIG")
MIDDLE=$(sed -n "$((LINES / 2))p" "$LOADSMITH_STORE/transcript/$BIG" | awk '{print $2}')
echo "  $LINES lines, $(du -m "$LOADSMITH_STORE/transcript/$BIG" | cut -f1) MiB; the middle path: $MIDDLE" >&2

"$LS" serve --store "$LOADSMITH_STORE" --bind 127.0.0.1:0 > "$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do grep -q 'loadsmith serve: http' "$WORK/serve.log" && break; sleep 0.1; done
URL=$(sed -n 's/^loadsmith serve: \(http[^ ]*\)\/ .*/\1/p' "$WORK/serve.log")
[ -n "$URL" ] || { cat "$WORK/serve.log" >&2; exit 1; }
sleep 2.5   # the server caches only states older than 2 s

enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
median() {  # URL: 50 requests, prints "median first" in ms
    i=0
    while [ $i -lt 50 ]; do
        curl -s -o /dev/null -w '%{http_code} %{time_total}\n' "$1"
        i=$((i + 1))
    done > "$WORK/times"
    bad=$(awk '$1 != 200' "$WORK/times" | wc -l)
    [ "$bad" -eq 0 ] || printf 'ERRORS: %s non-200; ' "$bad"
    first=$(awk 'NR == 1 { printf "%.1f", $2 * 1000 }' "$WORK/times")
    awk '{ print $2 * 1000 }' "$WORK/times" | sort -n | awk -v first="$first" '{ t[NR] = $1 }
        END { printf "%.1f ms median (first %s ms, max %.1f ms)", (t[int((NR + 1) / 2)] + t[int(NR / 2) + 1]) / 2, first, t[NR] }'
}
echo
echo "overview:              $(median "$URL/")"
echo "series page:           $(median "$URL/series/bench-app1-bin-rhel5")"
echo "transcript, 100 lines: $(median "$URL/loadset/$BIG?limit=100&from=$(enc "$MIDDLE")")   (line $((LINES / 2)) of $LINES)"
echo "  same, JSON:          $(median "$URL/api/v1/loadset/$BIG?limit=100&from=$(enc "$MIDDLE")")"
curl -s "$URL/api/v1/loadset/$BIG?limit=100&from=$(enc "$MIDDLE")" | python3 -c '
import json, sys
d = json.load(sys.stdin); print("  page check:          %d entries, first %s" % (len(d["entries"]), d["entries"][0]["path"]))'
echo "status JSON:           $(median "$URL/api/v1/status")"
wrk -t2 -c64 -d10s --latency "$URL/" > "$WORK/wrk.txt"
echo
echo "wrk -t2 -c64 -d10s $URL/:"
grep -E 'Requests/sec|Non-2xx|Socket errors|requests in' "$WORK/wrk.txt" | sed 's/^/  /'
grep -q -E 'Non-2xx|Socket errors' "$WORK/wrk.txt" || echo "  errors: none"
awk '/Latency Distribution/ { d = 1 } d && $1 ~ /%$/ { print "  p" $1 " " $2 }' "$WORK/wrk.txt" | sed 's/%//'
echo
echo "server peak RSS: $(awk '/VmHWM/ { printf "%.1f MiB", $2 / 1024 }' /proc/$SERVER/status)"
echo "binaries: loadsmith $(du -k "$LS" | cut -f1) KiB, loadsmith-serve $(du -k "$BIN/loadsmith-serve" | cut -f1) KiB"
