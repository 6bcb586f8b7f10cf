#!/usr/bin/env bash
# The apply job of one target: the target before it in settings.promotion must have applied
# this same commit in this same run. The jobs already run one at a time in that order and stop
# at the first failure; this makes it hold for a re-run of one job or a cancelled one too.
#   env: GITHUB_REPOSITORY, RUN_ID, TARGETS (the JSON list in order), TARGET, KEY (the commit
#   applied); needs gh (actions read)
# Each target's apply uploads the artifact applied-KEY-TARGET when it succeeded.
set -euo pipefail
repo="repos/${GITHUB_REPOSITORY}"
previous=$(jq -r --arg t "$TARGET" 'index($t) as $i
  | if $i == null then "::missing" elif $i == 0 then "" else .[$i - 1] end' <<< "$TARGETS")
if [ "$previous" = "::missing" ]; then
  echo "::error::refusing to apply ${TARGET}: it is not in the order ${TARGETS}"
  exit 1
fi
if [ -z "$previous" ]; then
  echo "${TARGET:-the gateway} is first in the order"
  exit 0
fi
found=$(gh api "${repo}/actions/runs/${RUN_ID}/artifacts?name=applied-${KEY}-${previous}" \
  --jq '.total_count' || echo 0)
if [ "${found:-0}" -lt 1 ]; then
  echo "::error::refusing to apply ${TARGET}: ${previous}, before it in settings.promotion, has not applied ${KEY:0:7} in this run"
  exit 1
fi
echo "${previous} applied ${KEY:0:7}: ${TARGET} is next"
