#!/bin/sh
# The README's main job: the whole loadset life cycle on fixtures/staging, in a temporary store.
#   capture 001.001 -> build -> release -> pin TEST to it -> change a file, capture 001.002 -> build
#   -> deploy to TEST, then STAGE -> release to PROD -> roll TEST back -> diff the two -> rollback -> cfg capture -> promote -> cfg capture again -> promote
#   -> cfg rollback -> command write -> verify
#   -> DSL: every archive signed with a key made here; archive the cfg, list, verify every
#      archive, restore a release into a fresh store with the public key only (verify, diff),
#      prune plan; the history chain verified and its head printed
# Usage: scripts/roundtrip.sh   (LOADSMITH=path/to/loadsmith to skip the build; KEEP=1 keeps the store)
set -eu
cd "$(dirname "$0")/.."
if [ -z "${LOADSMITH:-}" ]; then
    scripts/install-deps.sh
    swift build --product loadsmith >&2
    LOADSMITH="$(swift build --show-bin-path)/loadsmith"
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/loadsmith-roundtrip.XXXXXX")
[ -n "${KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT
STAGING="$WORK/staging"
LOADSMITH_STORE="$WORK/store"
export LOADSMITH_STORE
cp -R fixtures/staging "$STAGING"

step() { printf '\n== %s\n' "$*"; }
run() { printf '$ loadsmith %s\n' "$*"; "$LOADSMITH" "$@"; }

step "a signing key; a new store with a DSL (release archives and signs each build first)"
mkdir -p "$WORK/keys"
run key generate dsps-dsl-1 --out "$WORK/keys"
run init "$LOADSMITH_STORE" --dsl "$WORK/dsl" --signing-key "$WORK/keys/dsps-dsl-1.key"
cp "$WORK/keys/dsps-dsl-1.pub" "$WORK/dsl/trusted-keys"   # what restore and dsl verify trust

step "capture 001.001 of the two bin nodes and the log area (neg), build, release"
run capture "$STAGING" --loadset was-apache-bin-rhel5 --node /usr/local/apache --node /etc/httpd --version 001.001
run capture "$STAGING" --loadset was-apache-neg-rhel5 --node /var/log/httpd --version 001.001
run build was-apache-bin-rhel5 001.001
run build was-apache-neg-rhel5 001.001
run release was-apache-bin-rhel5 001.001
run release was-apache-neg-rhel5 001.001

step "hold TEST on 001.001 (a pin), whatever is built next"
run deploy was-apache-bin-rhel5 001.001 --tier TEST

step "change a file on the staging install, capture the next minor version, build"
printf 'mod_ssl fixture module v2 (security fix)\n' > "$STAGING/usr/local/apache/modules/mod_ssl.so"
run capture "$STAGING" --loadset was-apache-bin-rhel5 --node /usr/local/apache --node /etc/httpd --next-minor
run build was-apache-bin-rhel5 001.002
grep '^p was-apache-bin' "$LOADSMITH_STORE/command/was-apache-TEST.K"   # still 001.001: pinned

step "the release stages: deploy 001.002 to TEST, then STAGE, then release it to PROD"
run deploy was-apache-bin-rhel5 001.002 --tier TEST
run deploy was-apache-bin-rhel5 001.002 --tier STAGE
run release was-apache-bin-rhel5 001.002
for t in TEST STAGE PROD; do printf '%s: ' "$t"; grep '^p was-apache-bin' "$LOADSMITH_STORE/command/was-apache-$t.K"; done

step "roll TEST back to its previous pin (001.001); STAGE and PROD stay on 001.002"
run rollback was-apache-bin-rhel5 --tier TEST
for t in TEST STAGE PROD; do printf '%s: ' "$t"; grep '^p was-apache-bin' "$LOADSMITH_STORE/command/was-apache-$t.K"; done
grep -q '^p was-apache-bin-rhel5-001.001.T$' "$LOADSMITH_STORE/command/was-apache-TEST.K"
grep -q '^p was-apache-bin-rhel5-001.002.T$' "$LOADSMITH_STORE/command/was-apache-STAGE.K"
run log --tier TEST

step "what changed between the two builds"
run diff was-apache-bin-rhel5@001.001 was-apache-bin-rhel5-current --transcript || [ $? -eq 1 ]

step "roll back to last-known-good"
run rollback was-apache-bin-rhel5

step "configuration: capture, promote, change, capture again, promote, roll back"
run capture "$STAGING" --loadset was-apache-cfg --node /etc/httpd/conf
run promote was-apache-cfg
printf 'KeepAlive On\n' >> "$STAGING/etc/httpd/conf/httpd.conf"
run capture "$STAGING" --loadset was-apache-cfg --node /etc/httpd/conf
run promote was-apache-cfg
run rollback was-apache-cfg

step "per-tier command files"
run command write was-apache
for k in "$LOADSMITH_STORE"/command/was-apache-*.K; do echo "--- command/$(basename "$k")"; cat "$k"; done

step "state and history"
run status
run log
run log --tier PROD --since 2000-01-01

step "verify the whole store"
run verify

step "radmind's lcksum -n (Loadsmith's byte-compatible front end) verifies every bin and cfg loadset"
for t in "$LOADSMITH_STORE"/transcript/*.T; do
    [ -L "$t" ] && continue                       # pointers: their targets are checked
    case "$(basename "$t")" in *-neg-*) continue ;; esac   # neg loadsets store zero-length files
    printf '$ lcksum -n -c sha1 -D STORE transcript/%s\n' "$(basename "$t")"
    "$LOADSMITH" lcksum -n -c sha1 -D "$LOADSMITH_STORE" "$t"
done

step "the DSL: archive the stable cfg, list (tags), verify every archive"
run archive was-apache-cfg-stable
run dsl list
run dsl verify

step "restore a release into a fresh store with the public key only: it verifies and diff shows nothing"
mkdir -p "$WORK/elsewhere" && cp "$WORK/keys/dsps-dsl-1.pub" "$WORK/elsewhere/"
rm "$WORK/dsl/trusted-keys"
run restore "$WORK/dsl/was/apache/bin/was-apache-bin-rhel5-001.002.tar.gz" --store "$WORK/fresh" --trusted-keys "$WORK/elsewhere/dsps-dsl-1.pub"
cp "$WORK/keys/dsps-dsl-1.pub" "$WORK/dsl/trusted-keys"
run verify --store "$WORK/fresh"
run diff "$LOADSMITH_STORE/transcript/was-apache-bin-rhel5-001.002.T" "$WORK/fresh/transcript/was-apache-bin-rhel5-001.002.T"

step "the history is a hash chain (verify checks it); keep its head elsewhere"
run log --head

step "prune plan: what could go (archived, verified, referenced by nothing)"
run prune was-apache-bin-rhel5 --keep 0 --dry-run
echo
echo "round trip OK (store: $LOADSMITH_STORE${KEEP:+, kept})"
