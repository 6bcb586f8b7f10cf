#!/usr/bin/env bash
# The plan job: plan PR_DESIRED against the gateway and write OUT/ for the artifact and the comment:
#   plan.json, plan.md (whole), comment.md (fits a GitHub comment), plan.err, exit-code, and
#   verdict (one line: "ok|changes|refused|failed|stale<TAB>description", for the commit status).
#   env: PR_DESIRED, OUT, HEAD_SHA, RUN_URL, TARGET (empty: no targets), STALE (a one-line
#   reason: the plan is not made), ORDER ("staging, then production"; empty: no last line) and
#   APPLY_BEFORE_MERGE (true|false) for the comment's last line, what merging does, plus
#   the gateway's LITELLM_BASE_URL and LITELLM_API_KEY (a target gets them under its own names)
# Exits 1 when the plan fails; comment.md then holds the error, so a stale plan never stays up.
# A plan apply would refuse (over the safety rails without an approval in desired/) says so at
# its top: it is not discovered after the merge.
set -uo pipefail
mkdir -p "$OUT"
for_target=${TARGET:+ on target ${TARGET}}
# What merging does, always the comment's last line.
ending() {
  [ -n "${ORDER:-}" ] || return 0
  local line="**On merge:** apply to ${ORDER}."
  case "$1" in
    refused) line="**On merge:** nothing is applied: apply refuses this plan." ;;
    stale|failed) line="**On merge:** nothing is applied until the plan is made again." ;;
    *) [ "${APPLY_BEFORE_MERGE:-}" != true ] \
         || line="**On \`/reconciler apply\`:** apply to ${ORDER}, then merge. **On merge** without it: the same, after the merge." ;;
  esac
  { echo; echo "$line"; } >> "$OUT/comment.md"
}

if [ -n "${STALE:-}" ]; then
  {
    echo "### reconciler plan: stale${for_target}"
    echo
    echo "**Stale:** ${STALE}."
    echo
    echo "Apply would refuse a plan of ${HEAD_SHA}: nothing from it is applied until it is planned again."
  } > "$OUT/comment.md"
  printf 'stale\t%s\n' "stale: ${STALE:0:120}" > "$OUT/verdict"
  echo "$STALE" > "$OUT/stale"
  ending stale
  exit 0
fi

DESIRED=$PR_DESIRED
# shellcheck source=scripts/ci/bind-target.sh
. "$(dirname "$0")/bind-target.sh" LITELLM_API_KEY
reconciler plan --desired "$PR_DESIRED" "${TARGET_ARGS[@]}" --format markdown --detailed-exitcode \
  --out "$OUT/plan.json" > "$OUT/plan.md" 2> "$OUT/plan.err"
code=$?
echo "$code" > "$OUT/exit-code"
if [ "$code" = 1 ]; then
  {
    echo "### reconciler plan failed${for_target}"
    echo
    echo "The plan for ${HEAD_SHA} could not be made; nothing will be applied until it can."
    echo
    echo '```'
    head -c 50000 "$OUT/plan.err"
    echo '```'
    echo
    echo "Run: ${RUN_URL}"
  } > "$OUT/comment.md"
  printf 'failed\t%s\n' "the plan failed: $(head -n 1 "$OUT/plan.err" | cut -c 1-100)" > "$OUT/verdict"
  ending failed
  cat "$OUT/plan.err" >&2
  exit 1
fi
set -e
: > "$OUT/comment.md"
rails=$(jq -r 'if .safety.verdict == "refused" then
    [.safety.rails[] | select(.exceeded) | "\(.count) \(.kind) \(.measure)s of \(.base)"]
    | join(", ") else "" end' "$OUT/plan.json")
if [ -n "$rails" ]; then
  {
    echo "> [!CAUTION]"
    echo "> **Apply would refuse this plan:** it exceeds the safety rails (${rails}) and"
    echo "> desired/ approves no such change (settings.safety.approve_large_change). Merging applies nothing."
    echo
  } >> "$OUT/comment.md"
  printf 'refused\t%s\n' "apply would refuse: over the safety rails (${rails:0:80})" > "$OUT/verdict"
elif [ "$code" = 2 ]; then
  printf 'changes\t%s\n' "$(jq -r '.totals | "plan: \(.add) to add, \(.change) to change, \(.destroy) to destroy"' \
    "$OUT/plan.json")" > "$OUT/verdict"
else
  printf 'ok\t%s\n' "no changes" > "$OUT/verdict"
fi
# Each target has its own sticky comment: say which one this is before the plan.
[ -z "${TARGET:-}" ] || echo "Target: \`${TARGET}\`" >> "$OUT/comment.md"
reconciler show "$OUT/plan.json" --format markdown --max-chars 60000 \
  --truncation-note "The full plan is the plan-${HEAD_SHA}${TARGET:+-$TARGET} artifact of ${RUN_URL}" \
  >> "$OUT/comment.md"
echo "Plan for ${HEAD_SHA}${for_target}: ${RUN_URL}" >> "$OUT/comment.md"
ending "$(cut -f 1 "$OUT/verdict")"
