#!/bin/sh
# Runs the soak test long: N seeded sequences (default 200), in chunks that each hold the shared
# build lock for at most a few minutes, then prints how many ran and every distinct failure.
#
#   scripts/soak.sh 500                               # CI's families, a time-based seed
#   LOADSMITH_SOAK_FAMILIES=all scripts/soak.sh 100   # every hostile family
#   LOADSMITH_SOAK_SEED=1234 scripts/soak.sh 50       # replayable: sequence i uses seed 1234+i
#
# Also: LOADSMITH_SOAK_STEPS (steps per sequence), LOADSMITH_SOAK_CHUNK (sequences per lock, 40),
# LOADSMITH_SOAK_REPORT (the report file), LOADSMITH_SOAK_KEEP=1 (keep failing scratch stores).
set -eu
total=${1:-200}
seed=${LOADSMITH_SOAK_SEED:-$(date +%s)}
chunk=${LOADSMITH_SOAK_CHUNK:-40}
report=${LOADSMITH_SOAK_REPORT:-${TMPDIR:-/tmp}/loadsmith-soak-$seed.txt}
lock=/tmp/loadsmith-build.lock
cd "$(dirname "$0")/.."
: > "$report"
flock "$lock" swift build --build-tests 2>&1 | tail -3
ran=0
while [ "$ran" -lt "$total" ]; do
  n=$((total - ran)); [ "$n" -gt "$chunk" ] && n=$chunk
  LOADSMITH_SOAK_SEED=$((seed + ran)) LOADSMITH_SOAK_SEQUENCES=$n LOADSMITH_SOAK_REPORT="$report" \
    flock "$lock" swift test --skip-build --filter 'SoakTests/soak' >/dev/null 2>&1 || true
  ran=$((ran + n))
  grep '^soak:' "$report" | tail -1
done
echo "---"
grep '^soak:' "$report" | awk -v seed="$seed" '
  { for (i = 1; i <= NF; i++) { if ($(i+1) == "sequences") s += $i; if ($(i+1) == "commands,") c += $i;
      if ($(i+1) == "kills,") k += $i; if ($(i+1) == "hostile") h += $i; if ($(i+1) == "failing") f += $i } }
  END { printf "soak total: %d sequences from seed %s, %d commands, %d kills, %d hostile inputs, %d failing sequences\n", s, seed, c, k, h, f }'
if grep -q '^SOAK FAILURE' "$report"; then
  echo "distinct failures (first occurrence of each, with its replay line, in $report):"
  grep '^SOAK FAILURE' "$report" | sort | uniq -c
  exit 1
fi
