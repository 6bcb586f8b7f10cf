#!/usr/bin/env bash
# apply.yml: fetch the plan reviewed for the commit being applied, or refuse and say why.
#   env: GITHUB_REPOSITORY, GITHUB_SHA, BRANCH (the default branch), DEST (a directory),
#   TARGET (empty: no targets; else the artifact is plan-<sha>-TARGET)
#   needs: gh (GH_TOKEN with contents, pull-requests and actions read)
# Refuses unless GITHUB_SHA is the tip of BRANCH (an older run or another ref applies nothing),
# came from a merged pull request, and that pull request's head has a plan-<sha> artifact made
# by plan.yml that holds plan.json.
set -euo pipefail
refuse() { echo "::error::refusing to apply ${GITHUB_SHA}: $*"; exit 1; }
repo="repos/${GITHUB_REPOSITORY}"

tip=$(gh api "${repo}/commits/${BRANCH}" --jq .sha)
[ "$tip" = "$GITHUB_SHA" ] || refuse "${BRANCH} is now at ${tip}, whose own run applies it"

merged='[.[] | select(.merged_at != null)][0]'
number=$(gh api "${repo}/commits/${GITHUB_SHA}/pulls" --jq "${merged}.number // empty")
[ -n "$number" ] || refuse "it did not come from a merged pull request, so no plan was reviewed for it"
head=$(gh api "${repo}/commits/${GITHUB_SHA}/pulls" --jq "${merged}.head.sha")

artifact="plan-${head}${TARGET:+-$TARGET}"
run=$(gh api "${repo}/actions/artifacts?name=${artifact}" --jq '.artifacts[0].workflow_run.id // empty')
[ -n "$run" ] || refuse "no ${artifact} artifact for pull request #${number} at ${head}"
path=$(gh api "${repo}/actions/runs/${run}" --jq .path)
[ "$path" = ".github/workflows/plan.yml" ] || refuse "${artifact} was made by ${path}, not plan.yml"

gh run download "$run" --repo "$GITHUB_REPOSITORY" --name "$artifact" --dir "$DEST"
[ -f "${DEST}/plan.json" ] || refuse "the plan of pull request #${number} at ${head} failed; fix it in a new pull request"
echo "Applying the plan reviewed on pull request #${number} (${head}), plan run ${run}"
