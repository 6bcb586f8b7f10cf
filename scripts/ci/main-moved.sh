#!/usr/bin/env bash
# After main moved: every open pull request that touches desired/ is marked stale at once, then
# re-planned against the new main (after main's own apply, so its plan reads the gateway as
# main left it). Until its re-plan is done its reconciler/plan status is pending, so a branch
# protection rule requiring it keeps the pull request from merging on an outdated plan.
#   env: GITHUB_REPOSITORY, BRANCH, SHA (main's new tip), WORKFLOW or WORKFLOW_REF (this workflow's file, for
#   the dispatch), RUN_URL; needs gh (pull-requests read, statuses and pull-requests write,
#   actions write for the dispatch)
#   $1: mark (status pending, one stale line on the plan comments) or replan (dispatch a plan)
set -euo pipefail
repo="repos/${GITHUB_REPOSITORY}"
# This workflow's file (the caller's, for a reusable workflow), from github.workflow_ref.
if [ -z "${WORKFLOW:-}" ]; then
  WORKFLOW=${WORKFLOW_REF:-}
  WORKFLOW=${WORKFLOW#"$GITHUB_REPOSITORY"/}
  WORKFLOW=${WORKFLOW%%@*}
fi
mode=$1
reason="${BRANCH} moved to ${SHA:0:7}: re-planning against it"

prs=$(gh api --paginate "${repo}/pulls?state=open&base=${BRANCH}&per_page=100" \
  --jq '.[] | "\(.number) \(.head.sha)"')
while read -r number head; do
  [ -n "$number" ] || continue
  if ! gh api --paginate "${repo}/pulls/${number}/files?per_page=100" --jq '.[].filename' \
      | grep -q '^desired/'; then
    continue
  fi
  if [ "$mode" = replan ]; then
    gh workflow run "$WORKFLOW" --repo "$GITHUB_REPOSITORY" --ref "$BRANCH" -f "pr=${number}"
    echo "#${number}: re-plan dispatched"
    continue
  fi
  contexts=$(gh api "${repo}/commits/${head}/statuses?per_page=100" \
    --jq '[.[].context | select(startswith("reconciler/plan"))] | unique | .[]')
  [ -n "$contexts" ] || contexts="reconciler/plan"
  while read -r context; do
    gh api -X POST "${repo}/statuses/${head}" -f state=pending -f "context=${context}" \
      -f "description=${reason:0:140}" -f "target_url=${RUN_URL}" --jq .state > /dev/null
  done <<< "$contexts"
  # One stale line under each plan comment's marker, replacing an earlier one.
  gh api --paginate "${repo}/issues/${number}/comments?per_page=100" \
    --jq '.[] | select((.body // "") | startswith("<!-- reconciler-plan")) | {id, body} | @json' |
  while read -r comment; do
    body=$(mktemp)
    jq -r .body <<< "$comment" |
      awk -v line="> **Stale:** ${reason}; this plan may no longer be what apply would run." \
        'NR == 1 { print; print line; next } /^> \*\*Stale:\*\*/ { next } { print }' > "$body"
    gh api -X PATCH "${repo}/issues/comments/$(jq -r .id <<< "$comment")" -F "body=@${body}" \
      --jq .id > /dev/null
  done
  echo "#${number}: marked stale (${reason})"
done <<< "$prs"
