#!/usr/bin/env bash
# Writes a man page for xpulse and for each of its subcommands into OUT_DIR, made by help2man from each
# command's --help, so the pages say exactly what the binary says.   man_pages.sh XPULSE_BINARY OUT_DIR VERSION
set -euo pipefail
bin=$1 out=$2 version=$3
mkdir -p "$out"
rm -f "$out"/*.1

# "name<TAB>summary" for each subcommand listed by `xpulse ARGS --help`: its description (wrapped over several
# lines there) up to the first colon, semicolon, parenthesis or full stop.
subcommands() {
  "$bin" "$@" --help | awk '
    function emit() { if (name != "") { sub(/[.:;(].*$/, "", text); sub(/ +$/, "", text); print name "\t" text } name = "" }
    /^Subcommands:/ {on = 1; next}
    on && /^  [a-z]/ {emit(); name = $1; $1 = ""; sub(/^ +/, ""); text = $0; next}
    on && /^   +[^ ]/ {line = $0; sub(/^ +/, "", line); text = text " " line; next}
    on {emit(); on = 0}
    END {emit()}'
}

page() {  # page "DESCRIPTION" WORDS... : the page of `xpulse WORDS...`
  local description=$1; shift
  local file="$out/$(IFS=-; echo "xpulse${*:+-$*}").1"
  help2man --no-info --version-string="$version" --name="$description" --output="$file" "$bin${*:+ $*}"
  local entries entry
  mapfile -t entries < <(subcommands "$@")
  for entry in "${entries[@]}"; do
    page "${entry#*$'\t'}" "$@" "${entry%%$'\t'*}"
  done
}

page "fast analysis of XFEL and synchrotron imaging data"
