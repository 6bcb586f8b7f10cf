#!/usr/bin/env bash
# The pull request a plan run is for (opened or pushed, re-plan by dispatch, /reconciler plan),
# read from the API at the time of the run, never from the event payload alone.
#   env: GITHUB_REPOSITORY, PR (its number), TOOL_REPOSITORY and TOOL_REF (empty ref: the tool
#   as it is on the pull request's base branch), needs gh (contents and pull-requests read)
#   writes to $GITHUB_OUTPUT: number, head_sha, base_ref, base_sha, tool_repository, tool_sha,
#   plan (true: plan it with the read-only key), stale (one line; empty when the plan is current)
# A fork's pull request is never planned with the key (it is validated only). A branch that
# misses changes main made to desired/ since it forked is stale: its plan could never be the
# one apply runs (desired/ at the merge commit would not be the planned one), so it is not
# planned and says so in one line.
set -euo pipefail
repo="repos/${GITHUB_REPOSITORY}"
out() { echo "$1=$2" >> "${GITHUB_OUTPUT:-/dev/null}"; echo "$1: $2"; }

[[ "$PR" =~ ^[1-9][0-9]{0,9}$ ]] || { echo "::error::no pull request number: '$PR'"; exit 1; }
pull=$(gh api "${repo}/pulls/${PR}")
field() { jq -r "$1" <<< "$pull"; }
state=$(field .state)
head_sha=$(field .head.sha)
head_repo=$(field '.head.repo.full_name // ""')
base_ref=$(field .base.ref)
base_sha=$(gh api "${repo}/commits/${base_ref}" --jq .sha)
out number "$PR"
out head_sha "$head_sha"
out base_ref "$base_ref"
out base_sha "$base_sha"

if [ -n "${TOOL_REF:-}" ]; then
  tool_repository=${TOOL_REPOSITORY:?set with TOOL_REF}
  tool_sha=$(gh api "repos/${TOOL_REPOSITORY}/commits/${TOOL_REF}" --jq .sha)
else
  tool_repository=$GITHUB_REPOSITORY
  tool_sha=$base_sha
fi
out tool_repository "$tool_repository"
out tool_sha "$tool_sha"

if [ "$state" != open ]; then
  out plan false
  out stale ""
  echo "pull request #${PR} is ${state}: nothing to plan"
  exit 0
fi
if [ "$head_repo" != "$GITHUB_REPOSITORY" ]; then
  out plan false
  out stale ""
  echo "pull request #${PR} comes from the fork ${head_repo:-(deleted)}: validated only, never planned with the gateway key"
  exit 0
fi
out plan true

# What the base branch changed in desired/ since this branch forked from it.
changed=$(gh api "${repo}/compare/${head_sha}...${base_sha}" \
  --jq '[.files[]?.filename | select(startswith("desired/"))] | "\(length) \(.[0] // "")"')
read -r count first <<< "$changed"
if [ "$count" -gt 0 ]; then
  more=""
  [ "$count" -eq 1 ] || more=" and $((count - 1)) more file(s)"
  out stale "${base_ref} changed ${first}${more} since this branch (now at ${base_sha:0:7}): merge ${base_ref} into it to plan again"
else
  out stale ""
fi
