#!/usr/bin/env bash
# A comment on a pull request: `/reconciler plan` re-plans it, `/reconciler apply` (only with
# apply-before-merge on) applies its reviewed plan and then merges it. Honoured only for a
# collaborator with write access, read from the API for the commenter; anyone else is ignored
# (one log line, no reply, so nobody can make the workflow write on their behalf). This job
# holds no gateway key: it checks, then dispatches the workflow on the default branch, whose
# jobs check again and run only the default branch's code.
#   env: GITHUB_REPOSITORY, COMMENT_BODY (the comment), COMMENTER, COMMENT_ID, PR (the issue number),
#   IS_PR (true for a pull request), BRANCH (the default branch), WORKFLOW (this workflow's
#   file), APPLY_BEFORE_MERGE (true|false); needs gh (pull-requests write for the reaction and
#   replies, actions write for the dispatch, the rest read)
set -euo pipefail
repo="repos/${GITHUB_REPOSITORY}"
# This workflow's file (the caller's, for a reusable workflow), from github.workflow_ref.
if [ -z "${WORKFLOW:-}" ]; then
  WORKFLOW=${WORKFLOW_REF:-}
  WORKFLOW=${WORKFLOW#"$GITHUB_REPOSITORY"/}
  WORKFLOW=${WORKFLOW%%@*}
fi
command=$(head -n 1 <<< "${COMMENT_BODY}" | tr -d '\r' | sed -e 's/[[:space:]]*$//')
case "$command" in
  "/reconciler plan") verb=plan ;;
  "/reconciler apply") verb=apply ;;
  *) echo "not a reconciler command: ignored"; exit 0 ;;
esac
if [ "$IS_PR" != true ]; then
  echo "ignored: #${PR} is an issue, not a pull request"
  exit 0
fi
# .permission is admin, write, read or none (maintain reads as write); 404: no collaborator.
permission=$(gh api "${repo}/collaborators/${COMMENTER}/permission" --jq .permission 2>/dev/null \
  || echo none)
if [ "$permission" != admin ] && [ "$permission" != write ]; then
  echo "ignored: ${COMMENTER} has no write access to ${GITHUB_REPOSITORY} (${permission})"
  exit 0
fi
gh api -X POST "${repo}/issues/comments/${COMMENT_ID}/reactions" -f content=eyes --jq .id \
  > /dev/null || true

reply() {
  local body
  body=$(mktemp)
  echo "@${COMMENTER} \`/reconciler ${verb}\`: $1" > "$body"
  gh api -X POST "${repo}/issues/${PR}/comments" -F "body=@${body}" --jq .id > /dev/null
}
if [ "$verb" = apply ]; then
  if [ "$APPLY_BEFORE_MERGE" != true ]; then
    reply "apply-before-merge is off here: merging applies the reviewed plan."
    exit 0
  fi
  if ! why=$(PR=$PR bash "$(dirname "$0")/apply-gate.sh" 2>&1 >/dev/null); then
    reply "refused: ${why#::error::}"
    exit 0
  fi
fi
gh workflow run "$WORKFLOW" --repo "$GITHUB_REPOSITORY" --ref "$BRANCH" -f "pr=${PR}" \
  -f "command=${verb}"
echo "dispatched ${verb} of #${PR} for ${COMMENTER} (${permission})"
