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

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

if [ "$mode" = "--real" ]; then
  # An absolute path: the EXIT trap runs after the `cd .sandbox` below.
  starter=${REAL_GATEWAY_STARTER:-$PWD/../shared/real-gateway/start_real_gateway.sh}
  [ -f "$starter" ] || { echo "no $starter here: run the real proxy yourself and set LITELLM_BASE_URL / LITELLM_ADMIN_KEY" >&2; exit 1; }
  starter=$(cd "$(dirname "$starter")" && pwd)/$(basename "$starter")
  # Its own folder and free ports: never the developer's proxy (.real-gateway, 4000, 5433).
  export BASE=${DEMO_REAL_BASE:-$PWD/.sandbox/real-gateway}
  export PROXY_PORT=${DEMO_PROXY_PORT:-$(free_port)} PG_PORT=${DEMO_PG_PORT:-$(free_port)}
  if [ -f "$BASE/proxy.pid" ] && kill -0 "$(cat "$BASE/proxy.pid")" 2>/dev/null; then
    echo "a proxy already runs from $BASE: stop it first (BASE=$BASE bash $starter stop)" >&2
    exit 1
  fi
  # Set before the start, so a start that fails half way is stopped too.
  trap 'bash "$starter" stop >/dev/null' EXIT
  echo "starting the real LiteLLM proxy on 127.0.0.1:$PROXY_PORT (PostgreSQL on $PG_PORT, files in $BASE)"
  bash "$starter" >/dev/null
  export LITELLM_BASE_URL="http://127.0.0.1:$PROXY_PORT" LITELLM_ADMIN_KEY=${LITELLM_MASTER_KEY:-sk-master-1234}
  # The brief's pinned Sileya key, set up outside this tool (LiteLLM wants custom keys >= 16 chars).
  python3 - <<'PY'
import os, httpx
h = {"Authorization": f"Bearer {os.environ['LITELLM_ADMIN_KEY']}"}
base = os.environ["LITELLM_BASE_URL"]
rows = httpx.get(f"{base}/key/list", params={"key_alias": "sileya"}, headers=h).json()["keys"]
if not rows:
    httpx.post(f"{base}/key/generate", headers=h, json={
        "key": "sk-Qh7vR2mXa9LtK4sWb8NcYe", "key_alias": "sileya",
        "metadata": {"owner": "sileya", "role": "admin-agent"}}).raise_for_status()
PY
else
  port=$(free_port)
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

# A tiny --budget-alert below: the sandbox traffic costs a few millionths of a budget.
# The demo works on a copy of desired/, so its `agent add` never edits the shipped tree.
rm -rf .sandbox/desired && cp -r desired .sandbox/desired
cd .sandbox
echo "== reconciler validate"; reconciler validate
echo; echo "== reconciler plan"; reconciler plan
echo; echo "== reconciler apply"; reconciler apply --auto-approve --secrets-out secrets.jsonl --report apply-report.json
echo; echo "== reconciler plan (again: must be empty)"; reconciler plan --detailed-exitcode

# SKILL.md's four scenes, with the commands it gives the admin agent.
echo; echo "== scene 1, a new agent: reconciler agent add 王五, plan, apply with a secrets sink"
reconciler agent add 王五 --models MiniMax-M2.5,MiniMax-M2.5-Lightning --owner sileya \
  --budget 30 --budget-duration 30d --rpm 60
reconciler plan --format json --detailed-exitcode > plan.json || [ $? -eq 2 ]
python3 -c 'import json; p = json.load(open("plan.json")); print("  plan:", [(c["action"], c["target"]) for c in p["changes"]])'
reconciler apply --auto-approve --secrets-out secrets.jsonl --report apply-report.json

if [ "$mode" != "--real" ]; then
  # Traffic through the agents' keys (the sandbox answers without calling an LLM; the real
  # proxy would call MiniMax). Keys come from the secrets file, never the screen.
  echo; echo "== traffic: the agents call the gateway with their own keys"
  python3 - <<'PY'
import json, os, urllib.request
base = os.environ["LITELLM_BASE_URL"]
calls = {"李狗蛋": ["MiniMax-M2.7"] * 3 + ["MiniMax-M2.5"], "妮可": ["MiniMax-M2.5"] * 2,
         "王五": ["MiniMax-M2.5-Lightning"] * 20}
for line in open("secrets.jsonl", encoding="utf-8"):
    entry = json.loads(line)
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
echo; echo "== scene 2, abnormal usage: usage --format json flags (exit 3), block, then desired/"
code=0; reconciler usage --format json --budget-alert 0.000005 > usage.json || code=$?
python3 -c 'import json; print("  flags:", [(f["name"], f["kind"]) for f in json.load(open("usage.json"))["flags"]])'
echo "  (usage exited $code)"
reconciler block 王五 --reason "abnormal usage in the demo"
reconciler agent set 王五 --blocked true
reconciler apply --auto-approve --report apply-report.json
reconciler plan --detailed-exitcode
echo; echo "== key rotation: agent set 妮可 --rotate (new key to the sink first; the old one works 1d more)"
reconciler agent set 妮可 --rotate --rotation-grace 1d --no-plan
reconciler apply --auto-approve --secrets-out secrets.jsonl --report apply-report.json
reconciler plan --detailed-exitcode --show-untouched
echo; echo "== scene 3, the month: usage --month $(date -u +%Y-%m) --format markdown"
reconciler usage --month "$(date -u +%Y-%m)" --format markdown || echo "(usage exited $?)"
echo; echo "== scene 4, 529 peak: health --format json (fallbacks in force, fallback activity)"
reconciler health --format json || echo "(health exited $?)"
echo; echo "New keys' secrets are in .sandbox/secrets.jsonl (mode 0600); they were never printed."
