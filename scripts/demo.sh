#!/usr/bin/env bash
# The main job, end to end: install, start a gateway, then plan -> apply -> plan again on the
# shipped desired/. Default: the bundled sandbox gateway. With --real: the real LiteLLM proxy
# (started by ../shared/real-gateway/start_real_gateway.sh, about 70 s the first time).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-sandbox}
[ -x .venv/bin/reconciler ] || { python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]'; }
export PATH="$PWD/.venv/bin:$PATH"
mkdir -p .sandbox
rm -f .sandbox/secrets.jsonl

if [ "$mode" = "--real" ]; then
  starter=../shared/real-gateway/start_real_gateway.sh
  [ -f "$starter" ] || { echo "no $starter here: run the real proxy yourself and set LITELLM_BASE_URL / LITELLM_ADMIN_KEY" >&2; exit 1; }
  export BASE="$PWD/.real-gateway" PROXY_PORT=${PROXY_PORT:-4000}
  bash "$starter" >/dev/null
  trap 'bash "$starter" stop >/dev/null' EXIT
  export LITELLM_BASE_URL="http://127.0.0.1:$PROXY_PORT" LITELLM_ADMIN_KEY=${LITELLM_MASTER_KEY:-sk-master-1234}
  # The brief's pinned Sileya key, set up outside this tool (LiteLLM wants custom keys >= 16 chars).
  python3 - <<'PY'
import os, httpx
h = {"Authorization": f"Bearer {os.environ['LITELLM_ADMIN_KEY']}"}
base = os.environ["LITELLM_BASE_URL"]
rows = httpx.get(f"{base}/key/list", params={"key_alias": "sileya"}, headers=h).json()["keys"]
if not rows:
    httpx.post(f"{base}/key/generate", headers=h, json={
        "key": "sk-sileya-fixed-0001", "key_alias": "sileya",
        "metadata": {"owner": "sileya", "role": "admin-agent"}}).raise_for_status()
PY
else
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  reconciler sandbox --port "$port" > .sandbox/sandbox.log 2>&1 &
  sandbox_pid=$!
  trap 'kill $sandbox_pid 2>/dev/null; wait $sandbox_pid 2>/dev/null || true' EXIT
  export LITELLM_BASE_URL="http://127.0.0.1:$port" LITELLM_ADMIN_KEY=sk-sandbox-master-key
  python3 - <<'PY'
import os, time, urllib.request
for _ in range(100):
    try:
        urllib.request.urlopen(os.environ["LITELLM_BASE_URL"] + "/health/readiness", timeout=1)
        break
    except OSError:
        time.sleep(0.1)
PY
fi

echo "== reconciler validate"; reconciler validate
echo; echo "== reconciler plan"; reconciler plan
echo; echo "== reconciler apply"; reconciler apply --auto-approve --secrets-out .sandbox/secrets.jsonl --report .sandbox/apply-report.json
echo; echo "== reconciler plan (again: must be empty)"; reconciler plan --detailed-exitcode

if [ "$mode" != "--real" ]; then
  # Some traffic through the agents' new keys (the sandbox answers without calling an LLM; the
  # real proxy would call MiniMax). Keys come from the secrets file, never the screen.
  echo; echo "== traffic: the agents call the gateway with their own keys"
  python3 - <<'PY'
import json, os, urllib.request
base = os.environ["LITELLM_BASE_URL"]
for line in open(".sandbox/secrets.jsonl", encoding="utf-8"):
    entry = json.loads(line)
    calls = {"李狗蛋": ["MiniMax-M2.7"] * 3 + ["MiniMax-M2.5"], "妮可": ["MiniMax-M2.5"] * 2}
    for model in calls.get(entry["agent"], []):
        request = urllib.request.Request(
            base + "/chat/completions", method="POST",
            data=json.dumps({"model": model, "messages": [{"role": "user", "content": "hi"}]}).encode(),
            headers={"Authorization": "Bearer " + entry["key"], "Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=10).read()
    print(f"  {entry['agent']}: {len(calls.get(entry['agent'], []))} request(s)")
PY
fi
# usage and health exit 3 when they find something for a person to look at; show it, go on.
echo; echo "== reconciler usage"; reconciler usage || echo "(usage exited $?)"
echo; echo "== reconciler health"; reconciler health || echo "(health exited $?)"
echo; echo "New keys' secrets are in .sandbox/secrets.jsonl (mode 0600); they were never printed."
