#!/usr/bin/env bash
# The TypeScript SDK as someone outside this repository gets it: packed (npm pack, which builds it),
# installed from the tarball into an empty project in a temporary directory, with the repo's
# TypeScript; a consumer (scripts/ci/sdk-consumer.ts) compiled there under strict +
# exactOptionalPropertyTypes + noUncheckedIndexedAccess, declarations included (skipLibCheck off),
# then run by node against the built API on a fresh database; the package imported from an ES
# module too; and its browser entry bundled by Vite for a browser, without Node's modules.
# Cleans up the API, the database and the directory on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo="$(pwd)"

server_url="${CI_PG_SERVER_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
db="cp_sdk_package_$(date +%s)_$$"
db_url="$(node -e 'const u = new URL(process.argv[1]); u.pathname = "/" + process.argv[2]; console.log(u.toString())' "$server_url" "$db")"
admin_key="sdk-package-admin-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
port="$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
work="$(mktemp -d /tmp/sdk-package.XXXXXX)"
api_pid=""
cleanup() {
  if [ -n "$api_pid" ]; then kill "$api_pid" 2>/dev/null || true; wait "$api_pid" 2>/dev/null || true; fi
  psql "$server_url" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
step() { printf '== %s (%ss)\n' "$1" "$SECONDS"; }
version_of() { node -p "require('./package-lock.json').packages['node_modules/$1'].version"; }

step "build the API and the console"
npm run build >/dev/null

step "pack the SDK"
tarball="$(cd clients/typescript && npm pack --silent --pack-destination "$work")"
tar -tzf "$work/$tarball" | sort >"$work/files.txt"
if grep -v '^package/\(package\.json\|README\.md\|dist/[a-z-]*\.\(js\|d\.ts\)\)$' "$work/files.txt"; then
  echo "the tarball holds files it should not (above)" >&2
  exit 1
fi

step "install it into an empty project"
mkdir "$work/consumer"
cd "$work/consumer"
npm init -y >/dev/null
npm pkg set type=commonjs >/dev/null && npm pkg set private=true --json >/dev/null
npm install --silent --no-audit --no-fund --prefer-offline "$work/$tarball" \
  "typescript@$(cd "$repo" && version_of typescript)" "@types/node@$(cd "$repo" && version_of @types/node)"
if grep -rl "node:crypto" node_modules/@control-plane/client/dist; then
  echo "the SDK imports node:crypto (above): createRun must use the Web Crypto API" >&2
  exit 1
fi
cat >tsconfig.json <<'JSON'
{
  "compilerOptions": {
    "module": "node16",
    "moduleResolution": "node16",
    "target": "ES2022",
    "lib": ["ES2022"],
    "types": ["node"],
    "strict": true,
    "exactOptionalPropertyTypes": true,
    "noUncheckedIndexedAccess": true,
    "noImplicitOverride": true,
    "noPropertyAccessFromIndexSignature": true,
    "skipLibCheck": false,
    "outDir": "out"
  },
  "files": ["consumer.ts"]
}
JSON
cp "$repo/scripts/ci/sdk-consumer.ts" consumer.ts

step "compile the consumer"
npx tsc -p tsconfig.json

step "import the package from an ES module"
node --input-type=module -e "
import { createRun, followRun, TERMINAL_RUN_STATUSES, isTerminalRunStatus } from '@control-plane/client';
import { createControlPlaneClient } from '@control-plane/client/browser';
if (typeof createRun !== 'function' || typeof followRun !== 'function' || typeof createControlPlaneClient !== 'function') process.exit(1);
if (!isTerminalRunStatus('SUCCEEDED') || isTerminalRunStatus('DEAD_LETTERED') || TERMINAL_RUN_STATUSES.length !== 7) process.exit(1);
"

step "bundle the browser entry for a browser"
mkdir page
printf '%s\n' "import { createControlPlaneClient, createRun, followRun } from '@control-plane/client/browser';" \
  "const client = createControlPlaneClient({ baseUrl: location.origin, credential: 'cpk_x' });" \
  "(globalThis as Record<string, unknown>)['sdk'] = { client, createRun, followRun };" >page/main.ts
printf '%s\n' '<!doctype html><script type="module" src="./main.ts"></script>' >page/index.html
(cd "$repo" && node -e "
import('vite').then(({ build }) => build({ root: process.argv[1], logLevel: 'error', configFile: false,
  build: { outDir: process.argv[1] + '/dist', emptyOutDir: true, minify: false } })).catch((e) => { console.error(e); process.exit(1); });
" "$work/consumer/page")
bundle="$(ls page/dist/assets/*.js)"
grep -q 'text/event-stream' $bundle || { echo "the browser bundle lacks followRun" >&2; exit 1; }
if grep -l "node:\|process\.once\|createWorker" $bundle; then
  echo "the browser bundle holds Node-only code (above)" >&2
  exit 1
fi

step "start the API on a fresh database"
cd "$repo"
psql "$server_url" -qc "CREATE DATABASE \"$db\""
DATABASE_URL="$db_url" PORT="$port" HOST=127.0.0.1 BOOTSTRAP_ADMIN_KEY="$admin_key" LOG_LEVEL=warn \
  node -r ./scripts/register-paths.js dist/apps/api/src/main.js >"$work/api.log" 2>&1 &
api_pid=$!
for _ in $(seq 1 150); do
  if curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$api_pid" 2>/dev/null; then echo "the API exited during start:" >&2; cat "$work/api.log" >&2; exit 1; fi
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null || { echo "the API did not become ready:" >&2; cat "$work/api.log" >&2; exit 1; }

step "run the consumer against it"
(cd "$work/consumer" && API_URL="http://127.0.0.1:$port" ADMIN_KEY="$admin_key" node out/consumer.js) || {
  echo "the consumer failed; the API's log:" >&2
  tail -50 "$work/api.log" >&2
  exit 1
}
step "the SDK package works outside the repository"
