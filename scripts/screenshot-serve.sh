#!/bin/sh
# Screenshots of `loadsmith serve` for the README: the overview and a series page (its timeline),
# over the round-trip store (scripts/roundtrip.sh), taken by headless Chromium.
# Usage: scripts/screenshot-serve.sh   (LOADSMITH=path/to/loadsmith to skip the build)
# Writes docs/serve-overview.png and docs/serve-series.png.
set -eu
cd "$(dirname "$0")/.."
if [ -z "${LOADSMITH:-}" ]; then
    swift build --product loadsmith >&2
    swift build --product loadsmith-serve >&2
    LOADSMITH="$(swift build --show-bin-path)/loadsmith"
fi
command -v chromium >/dev/null || { echo "screenshot-serve: chromium is not installed (scripts/install-deps.sh)" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/loadsmith-shots.XXXXXX")
SERVER=""
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$WORK"' EXIT
KEEP=1 TMPDIR="$WORK" LOADSMITH="$LOADSMITH" scripts/roundtrip.sh > "$WORK/roundtrip.log"
STORE=$(ls -d "$WORK"/loadsmith-roundtrip.*/store)
"$LOADSMITH" serve --store "$STORE" --bind 127.0.0.1:0 > "$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 50); do grep -q 'loadsmith serve: http' "$WORK/serve.log" && break; sleep 0.1; done
URL=$(sed -n 's/^loadsmith serve: \(http[^ ]*\).*/\1/p' "$WORK/serve.log")
[ -n "$URL" ] || { cat "$WORK/serve.log" >&2; exit 1; }
shot() {
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --force-color-profile=srgb \
        --window-size="$3" --screenshot="$1" "$URL$2" 2>/dev/null >&2
    echo "wrote $1"
}
shot docs/serve-overview.png "" 1000,860
shot docs/serve-series.png "series/was-apache-bin-rhel5" 1000,900
