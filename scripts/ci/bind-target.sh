#!/usr/bin/env bash
# Sourced by the workflows' steps: with TARGET set, the job's environment secrets
# (LITELLM_BASE_URL and the key in $1) are handed to the tool under the NAMES the target's
# `gateway` declares, and removed from LITELLM_*, so `--target` reads them as it does locally.
#   env: TARGET (empty: one gateway, nothing to do), DESIRED, LITELLM_BASE_URL, and $1
# Sets TARGET_ARGS (an array): --target NAME, or nothing.
# shellcheck disable=SC2034  # read by the scripts and steps that source this file
TARGET_ARGS=()
if [ -n "${TARGET:-}" ]; then
  TARGET_ARGS=(--target "$TARGET")
  key_var=$1
  # The names are validated by the tool's loader (identifiers only) before they are exported.
  names=$(python3 -c 'import sys
from pathlib import Path
from reconciler.commands.targets import load_tree
gateway = load_tree(Path(sys.argv[1]), sys.argv[2]).gateway
print(f"{gateway.base_url_env} {gateway.admin_key_env}" if gateway else "")
' "$DESIRED" "$TARGET" 2>/dev/null || true)
  if [ -n "$names" ]; then
    read -r url_env key_env <<< "$names"
    export "$url_env=$LITELLM_BASE_URL" "$key_env=${!key_var}"
    unset LITELLM_BASE_URL "$key_var"
  fi
fi
