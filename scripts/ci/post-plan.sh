#!/usr/bin/env bash
# The comment job: keep the pull request's one sticky comment per target, and set the commit
# status reconciler/plan (or "reconciler/plan: TARGET") on the planned head. A branch
# protection rule requiring that status keeps a pull request from merging while its plan is
# missing, failed, stale, refused or being redone after main moved.
#   env: GITHUB_REPOSITORY, PR, HEAD_SHA, TARGET, OUT (the plan job's artifact, possibly
#   absent), RUN_URL; needs gh (pull-requests and statuses write)
set -euo pipefail
repo="repos/${GITHUB_REPOSITORY}"
if [ -n "${TARGET:-}" ]; then
  marker="<!-- reconciler-plan:${TARGET} -->"
  context="reconciler/plan: ${TARGET}"
else
  marker="<!-- reconciler-plan -->"
  context="reconciler/plan"
fi
body=$(mktemp)
{
  echo "$marker"
  if [ -f "$OUT/comment.md" ]; then
    cat "$OUT/comment.md"
  else
    echo "### reconciler plan failed${TARGET:+ for target ${TARGET}}"
    echo
    echo "The plan job stopped before it made a plan or an error report; see ${RUN_URL}"
  fi
} > "$body"
# The tool already fits the plan into 60,000 characters; GitHub refuses more than 65,536.
truncate -s '<65000' "$body"

# jq's startswith on the first line only: a comment quoting the marker later is not ours.
old=$(gh api --paginate "${repo}/issues/${PR}/comments?per_page=100" \
  --jq "[.[] | select((.body // \"\") | split(\"\\n\")[0] == \"${marker}\")][0].id // empty")
if [ -n "$old" ]; then
  gh api -X PATCH "${repo}/issues/comments/${old}" -F "body=@${body}" --jq .id > /dev/null
else
  gh api -X POST "${repo}/issues/${PR}/comments" -F "body=@${body}" --jq .id > /dev/null
fi

verdict="failed	the plan job stopped before it made a plan"
[ ! -f "$OUT/verdict" ] || verdict=$(head -n 1 "$OUT/verdict")
kind=${verdict%%	*}
description=${verdict#*	}
case "$kind" in
  ok|changes) state=success ;;
  *) state=failure ;;
esac
gh api -X POST "${repo}/statuses/${HEAD_SHA}" -f "state=${state}" -f "context=${context}" \
  -f "description=${description:0:140}" -f "target_url=${RUN_URL}" --jq .state > /dev/null
echo "${context}: ${state} (${description})"
