#!/usr/bin/env bash
# The apply job: fetch the plan reviewed for what is being applied, or refuse and say why.
#   env: GITHUB_REPOSITORY, GITHUB_SHA, BRANCH (the default branch), DEST (a directory),
#   TARGET (empty: no targets; else the artifact is plan-<sha>-TARGET), WORKFLOW or WORKFLOW_REF (this
#   workflow's file: only its runs' plans count), PR (empty on merge; set: apply before merge,
#   the plan of that pull request's head, which apply-gate.sh found ready)
#   needs: gh (GH_TOKEN with contents, pull-requests and actions read)
# On merge it refuses unless GITHUB_SHA is the tip of BRANCH (an older run or another ref
# applies nothing) and came from a merged pull request. Either way the head's newest
# plan-<sha> artifact must come from this workflow and hold plan.json, not a failed or stale
# plan. The plan itself is checked again by `reconciler apply`, never trusted.
set -euo pipefail
repo="repos/${GITHUB_REPOSITORY}"
# This workflow's file (the caller's, for a reusable workflow), from github.workflow_ref.
if [ -z "${WORKFLOW:-}" ]; then
  WORKFLOW=${WORKFLOW_REF:-}
  WORKFLOW=${WORKFLOW#"$GITHUB_REPOSITORY"/}
  WORKFLOW=${WORKFLOW%%@*}
fi
what=${PR:+pull request #${PR}}
refuse() { echo "::error::refusing to apply ${what:-$GITHUB_SHA}: $*"; exit 1; }

if [ -n "${PR:-}" ]; then
  number=$PR
  head=$(gh api "${repo}/pulls/${PR}" --jq .head.sha)
else
  tip=$(gh api "${repo}/commits/${BRANCH}" --jq .sha)
  [ "$tip" = "$GITHUB_SHA" ] || refuse "${BRANCH} is now at ${tip}, whose own run applies it"
  merged='[.[] | select(.merged_at != null)][0]'
  number=$(gh api "${repo}/commits/${GITHUB_SHA}/pulls" --jq "${merged}.number // empty")
  [ -n "$number" ] || refuse "it did not come from a merged pull request, so no plan was reviewed for it"
  head=$(gh api "${repo}/commits/${GITHUB_SHA}/pulls" --jq "${merged}.head.sha")
fi

artifact="plan-${head}${TARGET:+-$TARGET}"
run=$(gh api "${repo}/actions/artifacts?name=${artifact}" --jq '.artifacts[0].workflow_run.id // empty')
[ -n "$run" ] || refuse "no ${artifact} artifact for pull request #${number} at ${head}"
path=$(gh api "${repo}/actions/runs/${run}" --jq .path)
[ "$path" = "$WORKFLOW" ] || refuse "${artifact} was made by ${path}, not ${WORKFLOW}"

gh run download "$run" --repo "$GITHUB_REPOSITORY" --name "$artifact" --dir "$DEST"
if [ -f "${DEST}/stale" ]; then
  rm -f "${DEST}/plan.json"
  refuse "the plan of pull request #${number} at ${head} went stale: $(head -n 1 "${DEST}/stale")"
fi
[ -f "${DEST}/plan.json" ] || refuse "the plan of pull request #${number} at ${head} failed; fix it in a new pull request"
echo "Applying the plan reviewed on pull request #${number} (${head}), plan run ${run}"
