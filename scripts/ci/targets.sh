#!/usr/bin/env bash
# The targets to plan or apply, one job each, from desired/targets/NAME/, in the order the
# shared settings.promotion declares (the order apply goes through them).
#   env: DESIRED (the desired/ directory)
#   writes to $GITHUB_OUTPUT (and prints): targets=<JSON list>, on_merge=<one line>
# No targets: [""], one job for the single gateway. Several targets need settings.promotion
# naming each folder once (staging and production alone default to that order); anything
# else is refused, so no target is ever applied out of order or left out in silence.
set -euo pipefail
names=()
if [ -d "$DESIRED/targets" ] && [ ! -L "$DESIRED/targets" ]; then
  for dir in "$DESIRED"/targets/*/; do
    [ -d "$dir" ] || continue
    name=$(basename "$dir")
    if [[ ! "$name" =~ ^[a-z0-9][a-z0-9_.-]{0,62}$ ]]; then
      echo "::error::desired/targets/ holds a folder that is no target name; run reconciler validate"
      exit 1
    fi
    names+=("$name")
  done
fi

# settings.promotion from the shared files, each validated on its own (a problem elsewhere in
# desired/ is the plan's to report, target by target).
promotion=$(python3 -c 'import sys
from pathlib import Path
from reconciler.commands.sources import read_sources
from reconciler.core.input.loader import load_files
try:
    files = load_files(read_sources(Path(sys.argv[1])))
except Exception:
    sys.exit(0)
for f in files:
    if f.content.settings is not None and f.content.settings.promotion is not None:
        print(" ".join(f.content.settings.promotion))
' "$DESIRED" 2>/dev/null || true)

ordered=()
if [ "${#names[@]}" -gt 0 ]; then
  if [ -z "$promotion" ] && [ "${#names[@]}" -gt 1 ]; then
    if [ "${names[*]}" = "production staging" ]; then
      promotion="staging production"
    else
      echo "::error::desired/targets/ holds ${names[*]}: declare the order they are applied in," \
        "e.g. settings: {promotion: [${names[0]}, ${names[1]}]} in a shared file"
      exit 1
    fi
  fi
  [ -n "$promotion" ] || promotion=${names[0]}
  for name in $promotion; do
    if [[ " ${names[*]} " != *" $name "* ]]; then
      echo "::error::settings.promotion names $name, which has no folder desired/targets/$name/"
      exit 1
    fi
    ordered+=("$name")
  done
  for name in "${names[@]}"; do
    if [[ " $promotion " != *" $name "* ]]; then
      echo "::error::desired/targets/$name/ is not in settings.promotion ($promotion): add it" \
        "where it belongs in the order"
      exit 1
    fi
  done
fi

if [ "${#ordered[@]}" -eq 0 ]; then
  json='[""]'
  order="the gateway"
else
  json="[$(printf '"%s",' "${ordered[@]}" | sed 's/,$//')]"
  order=$(printf '%s, then ' "${ordered[@]}" | sed 's/, then $//')
fi
{
  echo "targets=$json"
  echo "order=$order"
} >> "${GITHUB_OUTPUT:-/dev/null}"
echo "targets: $json"
echo "order: $order"
