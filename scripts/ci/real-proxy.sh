#!/usr/bin/env bash
# Start the real LiteLLM proxy on a CI runner for the compatibility matrix: LITELLM_VERSION,
# REPLICAS (1 or more, on ports 4000..), REDIS (1: a local redis-server as the replicas'
# coordination Redis), and with REPLICAS > 1 a round-robin balancer on port 4090. PostgreSQL
# is the runner's own. Writes the tests' variables to $GITHUB_ENV (or prints them).
set -euo pipefail
version=${LITELLM_VERSION:?set LITELLM_VERSION}
replicas=${REPLICAS:-1}
master=sk-ci-master-$RANDOM$RANDOM
work=$(mktemp -d)

sudo systemctl start postgresql.service
sudo -u postgres psql -qc "ALTER USER postgres PASSWORD 'postgres'"
sudo -u postgres createdb litellm
export DATABASE_URL=postgresql://postgres:postgres@127.0.0.1:5432/litellm

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "litellm[proxy]==$version" prisma
schema=$("$work/venv/bin/python" -c 'import litellm, os; print(os.path.join(os.path.dirname(litellm.__file__), "proxy", "schema.prisma"))')
PATH="$work/venv/bin:$PATH" prisma generate --schema "$schema" >/dev/null

cat >"$work/config.yaml" <<'YAML'
general_settings:
  master_key: os.environ/LITELLM_MASTER_KEY
  database_url: os.environ/DATABASE_URL
YAML
if [ "${REDIS:-0}" = 1 ]; then
  sudo apt-get install -y -qq redis-server >/dev/null
  sudo systemctl start redis-server.service
  cat >>"$work/config.yaml" <<'YAML'
litellm_settings:
  cache: true
  cache_params: {type: redis, host: 127.0.0.1, port: 6379, mode: default_off}
router_settings: {redis_host: 127.0.0.1, redis_port: 6379}
YAML
fi

urls=()
for ((i = 0; i < replicas; i++)); do
  port=$((4000 + i))
  LITELLM_MASTER_KEY=$master STORE_MODEL_IN_DB=True \
    nohup "$work/venv/bin/litellm" --config "$work/config.yaml" --host 127.0.0.1 --port "$port" \
    >"$work/proxy-$port.log" 2>&1 &
  urls+=("http://127.0.0.1:$port")
done
for url in "${urls[@]}"; do
  for _ in $(seq 1 180); do
    curl -fsS "$url/health/readiness" >/dev/null 2>&1 && break
    sleep 1
  done
  curl -fsS "$url/health/readiness" >/dev/null
done

base=${urls[0]}
out=${GITHUB_ENV:-/dev/stdout}
if [ "$replicas" -gt 1 ]; then
  nohup python3 scripts/ci/rr_lb.py 4090 "${urls[@]}" >"$work/lb.log" 2>&1 &
  base=http://127.0.0.1:4090
  echo "RECONCILER_REAL_REPLICA_URLS=${urls[*]}" >>"$out"
  echo "RECONCILER_REAL_LB_URL=$base" >>"$out"
fi
echo "RECONCILER_REAL_GATEWAY_URL=$base" >>"$out"
echo "RECONCILER_REAL_GATEWAY_KEY=$master" >>"$out"
