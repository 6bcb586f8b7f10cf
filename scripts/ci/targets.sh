#!/usr/bin/env bash
# plan.yml and apply.yml: the targets to run, one job each, from desired/targets/NAME/.
#   env: DESIRED (the desired/ directory), ONLY (optional: the names allowed, space-separated)
#   writes targets=<JSON list> to $GITHUB_OUTPUT (and prints it)
# No targets: [""], one job for the single gateway. A name outside ONLY is refused, so a new
# target never goes unapplied in silence.
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
    if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then
      echo "::error::target $name has no job here (this workflow runs: $ONLY); add one"
      exit 1
    fi
    names+=("\"$name\"")
  done
fi
if [ "${#names[@]}" -eq 0 ]; then
  json='[""]'
else
  json="[$(IFS=,; echo "${names[*]}")]"
fi
echo "targets=$json" >> "${GITHUB_OUTPUT:-/dev/null}"
echo "targets: $json"
