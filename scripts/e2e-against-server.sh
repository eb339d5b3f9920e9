#!/usr/bin/env bash
# Starts the built API on a fresh database of the given PostgreSQL server and runs the e2e suite
# against it over HTTP (API_URL), as `docker compose --profile e2e` does. Cleans up after itself.
# Arguments after the server URL go to jest (e.g. --testPathPatterns health).
set -euo pipefail
cd "$(dirname "$0")/.."

server_url="${1:?usage: e2e-against-server.sh <postgres server url> [jest arguments]}"
shift
db="cp_e2e_http_$(date +%s)_$$"
port="${E2E_PORT:-3917}"
admin_key="e2e-http-admin-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
db_url="$(node -e 'const u = new URL(process.argv[1]); u.pathname = "/" + process.argv[2]; console.log(u.toString())' "$server_url" "$db")"
log="$(mktemp)"
policy="$(mktemp --suffix=.json)"
node scripts/write-test-policy.js "$policy"

psql "$server_url" -qc "CREATE DATABASE \"$db\""
api_pid=""
cleanup() {
  if [ -n "$api_pid" ]; then kill "$api_pid" 2>/dev/null || true; wait "$api_pid" 2>/dev/null || true; fi
  psql "$server_url" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" || true
  rm -f "$log" "$policy"
}
trap cleanup EXIT

# E2E_SKIP_BUILD=1: dist/ is built already (scripts/ci/dockerfile-file-set.sh built it as the Dockerfile does).
if [ "${E2E_SKIP_BUILD:-}" != 1 ]; then npm run build >/dev/null; fi
DATABASE_URL="$db_url" PORT="$port" HOST=127.0.0.1 BOOTSTRAP_ADMIN_KEY="$admin_key" LOG_LEVEL=warn \
  POLICY_FILE="$policy" WEBHOOK_ALLOWED_URLS='http://127.0.0.1:*/' \
  node -r ./scripts/register-paths.js dist/apps/api/src/main.js >"$log" 2>&1 &
api_pid=$!

for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$api_pid" 2>/dev/null; then echo "the API exited during start:" >&2; cat "$log" >&2; exit 1; fi
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null || { echo "the API did not become ready:" >&2; cat "$log" >&2; exit 1; }

API_URL="http://127.0.0.1:$port" DATABASE_URL="$db_url" BOOTSTRAP_ADMIN_KEY="$admin_key" POLICY_FILE="$policy" \
  WEBHOOK_ALLOWED_URLS='http://127.0.0.1:*/' npx jest --selectProjects e2e "$@"
