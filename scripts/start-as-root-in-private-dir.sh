#!/usr/bin/env bash
# Proves README's `npm install` + `npm start` as root from a directory only root may enter (a
# clone under /root, a `mktemp -d`): the embedded PostgreSQL runs as the postgres user, which
# cannot reach the binaries or the data there, and must start anyway. Clones this checkout into
# a fresh `mktemp -d` (mode 0700), installs from the lock file, starts, asks for /health/ready and
# makes one authenticated request, then stops and removes everything it made.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then echo "not root: nothing to prove here"; exit 0; fi
dir="$(mktemp -d)"
# A temporary directory of its own (as open as /tmp), so the copy of the binaries is made afresh.
scratch="$(mktemp -d)"
chmod 1777 "$scratch"
port="${PRIVATE_START_PORT:-3931}"
pg_port="${PRIVATE_START_PG_PORT:-54391}"
admin_key="private-start-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
log="$dir/start.log"
pid=""
stuck=0
cleanup() {
  # npm start runs node (and node the embedded server) below it: stop the whole process group,
  # and only then remove what they use.
  if [ -n "$pid" ]; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 -- "-$pid" 2>/dev/null; then
      echo "npm start did not stop within 10 s of SIGTERM" >&2
      kill -KILL -- "-$pid" 2>/dev/null || true
      stuck=1
    fi
    wait "$pid" 2>/dev/null || true
  fi
  moved="$(grep -o '"data_dir":"[^"]*"' "$log" 2>/dev/null | head -1 | cut -d'"' -f4 || true)"
  case "$moved" in /var/tmp/control-plane-*/postgres | /tmp/control-plane-*/postgres) rm -rf "$(dirname "$moved")" ;; esac
  rm -rf "$dir" "$scratch"
  if [ "${stuck:-0}" = 1 ]; then exit 1; fi
}
trap cleanup EXIT

git clone -q . "$dir/repo"
cd "$dir/repo"
npm ci --no-audit --no-fund >/dev/null 2>&1
setsid env -u DATABASE_URL TMPDIR="$scratch" PORT="$port" EMBEDDED_PG_PORT="$pg_port" BOOTSTRAP_ADMIN_KEY="$admin_key" npm start >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do
  if curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then echo "npm start exited:" >&2; tail -20 "$log" >&2; exit 1; fi
  sleep 1
done
curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null || { echo "not ready:" >&2; tail -20 "$log" >&2; exit 1; }
curl -fsS "http://127.0.0.1:$port/api/v1/governance/action-types" -H "Authorization: Bearer $admin_key" >/dev/null
grep -q 'cannot reach the installed binaries' "$log" || { echo "the binaries were not copied where the postgres user can reach them" >&2; exit 1; }
echo "npm start from $dir (mode $(stat -c %a "$dir")) answered: ready, and an authenticated request"
