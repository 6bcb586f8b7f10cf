#!/usr/bin/env bash
# plan.yml: plan PR_DESIRED against the gateway and write OUT/ for the artifact and the comment:
#   plan.json, plan.md (whole), comment.md (fits a GitHub comment), plan.err, exit-code.
#   env: PR_DESIRED, OUT, HEAD_SHA, RUN_URL, TARGET (empty: no targets), plus the gateway's
#   LITELLM_BASE_URL and LITELLM_API_KEY (a target gets them under its own names)
# Exits 1 when the plan fails; comment.md then holds the error, so a stale plan never stays up.
set -uo pipefail
mkdir -p "$OUT"
DESIRED=$PR_DESIRED
# shellcheck source=scripts/ci/bind-target.sh
. "$(dirname "$0")/bind-target.sh" LITELLM_API_KEY
for_target=${TARGET:+ on target ${TARGET}}
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
  cat "$OUT/plan.err" >&2
  exit 1
fi
set -e
# Each target has its own sticky comment: say which one this is before the plan.
: > "$OUT/comment.md"
[ -z "${TARGET:-}" ] || echo "Target: \`${TARGET}\`" >> "$OUT/comment.md"
reconciler show "$OUT/plan.json" --format markdown --max-chars 60000 \
  --truncation-note "The full plan is the plan-${HEAD_SHA}${TARGET:+-$TARGET} artifact of ${RUN_URL}" \
  >> "$OUT/comment.md"
echo "Plan for ${HEAD_SHA}${for_target}: ${RUN_URL}" >> "$OUT/comment.md"
