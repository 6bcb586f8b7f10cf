#!/usr/bin/env bash
# Apply before merge: is this pull request ready to have its reviewed plan applied now?
#   env: GITHUB_REPOSITORY, PR; needs gh (contents, pull-requests and statuses read)
#   writes head_sha to $GITHUB_OUTPUT; refuses (exit 1, ::error:: line on stderr) unless it is
#   open, from this repository, approved at its head commit with no change requested, mergeable,
#   up to date with its base branch, and every reconciler/plan status of its head is success
#   (planned after the base branch last moved, and no target's plan refused or stale).
set -euo pipefail
repo="repos/${GITHUB_REPOSITORY}"
refuse() { echo "::error::$*" >&2; exit 1; }
pull=$(gh api "${repo}/pulls/${PR}")
field() { jq -r "$1" <<< "$pull"; }
head=$(field .head.sha)
[ "$(field .state)" = open ] || refuse "#${PR} is not open"
[ "$(field .draft)" != true ] || refuse "#${PR} is a draft"
[ "$(field '.head.repo.full_name // ""')" = "$GITHUB_REPOSITORY" ] \
  || refuse "#${PR} comes from a fork: its plan is never applied before merge"
[ "$(field .mergeable)" = true ] || refuse "#${PR} is not mergeable (conflicts, or GitHub has not checked yet)"
base=$(field .base.ref)
behind=$(gh api "${repo}/compare/${base}...${head}" --jq .behind_by)
[ "$behind" = 0 ] || refuse "#${PR} is ${behind} commit(s) behind ${base}: update the branch"
# The latest review of each reviewer counts; an approval must be of the head commit itself.
reviews=$(gh api --paginate "${repo}/pulls/${PR}/reviews?per_page=100" --jq \
  '[.[] | select(.state == "APPROVED" or .state == "CHANGES_REQUESTED" or .state == "DISMISSED")]
   | group_by(.user.login) | map(max_by(.submitted_at)) | @json')
[ "$(jq '[.[] | select(.state == "CHANGES_REQUESTED")] | length' <<< "$reviews")" = 0 ] \
  || refuse "#${PR} has changes requested"
[ "$(jq --arg h "$head" '[.[] | select(.state == "APPROVED" and .commit_id == $h)] | length' \
  <<< "$reviews")" -gt 0 ] || refuse "#${PR} has no approval of its head commit ${head:0:7}"
plans=$(gh api "${repo}/commits/${head}/statuses?per_page=100" --jq \
  '[group_by(.context)[] | .[0] | select(.context | startswith("reconciler/plan"))] | @json')
[ "$(jq length <<< "$plans")" -gt 0 ] || refuse "${head:0:7} has no plan yet"
bad=$(jq -r '[.[] | select(.state != "success") | "\(.context) is \(.state)"] | join("; ")' \
  <<< "$plans")
[ -z "$bad" ] || refuse "the plan of ${head:0:7} is not current: ${bad}"
echo "head_sha=${head}" >> "${GITHUB_OUTPUT:-/dev/null}"
echo "#${PR} at ${head} is approved, mergeable, up to date and planned"
