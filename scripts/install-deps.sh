#!/bin/sh
# Installs the Debian packages Loadsmith needs when they are missing (used by .ci/run and by
# scripts/roundtrip.sh, so the README's two commands are all a fresh machine needs).
# chromium: the headless-browser test of `loadsmith serve` (ServeTests) and scripts/screenshot-serve.sh.
# strace: DescriptorCloseTests counts failed close(2) calls (a descriptor closed twice).
# --bench: also the optional benchmark peers (ostree, for scripts/bench-share.sh; not needed by CI).
set -eu
need=""
optional=""
[ "${1:-}" = "--bench" ] && optional="ostree time"
for pkg in libssl-dev zlib1g-dev python3 tar gzip chromium strace $optional; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need="$need $pkg"
done
[ -z "$need" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing packages:$need (run as root, or: sudo apt-get install$need)" >&2
  exit 1
fi
echo "installing:$need" >&2
apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need
