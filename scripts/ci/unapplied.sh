#!/usr/bin/env bash
# The drift issue's "merged, not applied" part: for each target, what main holds in desired/
# that its last successful apply did not. Each apply job runs in the target's environment, so
# GitHub records it as a deployment of the commit it applied.
#   env: GITHUB_REPOSITORY, BRANCH, TARGETS (the JSON list: [""] is one gateway, in the
#   environment `production`), OUT (the markdown written; empty when everything is applied)
#   needs gh (deployments and contents read)
set -euo pipefail
repo="repos/${GITHUB_REPOSITORY}"
tip=$(gh api "${repo}/commits/${BRANCH}" --jq .sha)
: > "$OUT"
for target in $(jq -r '.[] | if . == "" then "production" else . end' <<< "$TARGETS"); do
  applied=""
  for line in $(gh api "${repo}/deployments?environment=${target}&per_page=30" \
      --jq '.[] | "\(.id):\(.sha)"'); do
    state=$(gh api "${repo}/deployments/${line%%:*}/statuses?per_page=1" --jq '.[0].state // ""')
    if [ "$state" = success ]; then
      applied=${line#*:}
      break
    fi
  done
  if [ -z "$applied" ]; then
    echo "- \`${target}\`: never applied from this repository (no successful deployment)" >> "$OUT"
    continue
  fi
  [ "$applied" != "$tip" ] || continue
  files=$(gh api "${repo}/compare/${applied}...${tip}" \
    --jq '[.files[]?.filename | select(startswith("desired/"))] | map("\u0060\(.)\u0060") | join(", ")')
  [ -n "$files" ] || continue
  commits=$(gh api "${repo}/compare/${applied}...${tip}" --jq '.commits | length')
  echo "- \`${target}\`: ${BRANCH} is ${commits} commit(s) past its last apply (${applied:0:7}), changing ${files}" >> "$OUT"
done
if [ -s "$OUT" ]; then
  { echo "#### Merged, not applied"; echo; cat "$OUT"; } > "$OUT.tmp" && mv "$OUT.tmp" "$OUT"
fi
cat "$OUT"
