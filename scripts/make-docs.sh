#!/bin/sh
# Man pages and shell completions, generated from loadsmith's command definitions
# (swift-argument-parser): nothing here is written by hand.
#
#   scripts/make-docs.sh [DIR]      default DIR: docs
#
# writes DIR/man/loadsmith.1 and one page per subcommand (loadsmith.capture.1, ...), with the
# generate-manual plugin from the checked-out swift-argument-parser (works offline), and
# DIR/completions/loadsmith.bash, DIR/completions/_loadsmith (zsh), DIR/completions/loadsmith.fish.
# The pages are dated by the last commit that changed the command line, so regenerating an
# unchanged tree changes nothing.
set -eu
cd "$(dirname "$0")/.."
out=${1:-docs}
mkdir -p "$out/man" "$out/completions"

date=$(git log -1 --format=%cs -- Sources/loadsmith Sources/RadmindTools/Version.swift 2>/dev/null || true)
[ -n "$date" ] || date=$(date -u +%Y-%m-%d)

swift build --product loadsmith >&2
bin="$(swift build --show-bin-path)/loadsmith"

# The plugin builds the package (debug: what `swift build` just built) and runs generate-manual
# on every ArgumentParser executable into its work directory.
swift package generate-manual --configuration debug --multi-page --date "$date" >&2
pages=.build/plugins/GenerateManual/outputs/loadsmith
[ -f "$pages/loadsmith.1" ] || { echo "make-docs: generate-manual wrote no $pages/loadsmith.1" >&2; exit 1; }
rm -f "$out"/man/loadsmith*.1
cp "$pages"/loadsmith*.1 "$out/man/"

"$bin" --generate-completion-script bash > "$out/completions/loadsmith.bash"
"$bin" --generate-completion-script zsh > "$out/completions/_loadsmith"
"$bin" --generate-completion-script fish > "$out/completions/loadsmith.fish"

echo "man pages:   $out/man ($(ls "$out/man" | wc -l) pages)"
echo "completions: $out/completions (bash, zsh, fish)"
