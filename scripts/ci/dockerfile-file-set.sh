#!/usr/bin/env bash
# Proves that the Dockerfile's build stage holds every file the e2e suite needs, without Docker:
# its COPY and RUN lines, read from the Dockerfile itself (so the two cannot drift), are replayed
# into a directory outside the repo (scripts/ci/replay-build-stage.mjs: the same files, npm ci from
# the lock file, the build), and the e2e suite runs from there over HTTP against the built API, as
# the compose `e2e` profile runs it, on a fresh database of CI_PG_SERVER_URL's server (dropped after).
# E2E_TEST_PATHS (a jest --testPathPatterns regex) runs a subset instead of the whole suite.
# Also checks docker-compose.yml with `docker-compose config` (installed with apt-get if missing
# and this is root): clean for the default and the e2e profile, and refused without POSTGRES_PASSWORD.
set -euo pipefail
cd "$(dirname "$0")/../.."

server_url="${CI_PG_SERVER_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

check_compose() {
  if ! command -v docker-compose >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      apt-get install -y -qq docker-compose >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq docker-compose >/dev/null; }
    else
      echo "docker-compose is not installed (and this is not root): compose file not checked" >&2
      return 0
    fi
  fi
  local errors
  errors="$(mktemp)"
  for profile in '' e2e; do
    # A value only for the check: the file itself holds none.
    POSTGRES_PASSWORD=composecheck docker-compose -f docker-compose.yml ${profile:+--profile "$profile"} config -q 2>"$errors"
    if [ -s "$errors" ]; then
      echo "docker-compose config${profile:+ --profile $profile} is not clean:" >&2
      cat "$errors" >&2
      rm -f "$errors"
      return 1
    fi
  done
  if env -u POSTGRES_PASSWORD docker-compose -f docker-compose.yml config -q 2>/dev/null; then
    echo "docker-compose.yml must refuse to start without POSTGRES_PASSWORD (no default password)" >&2
    rm -f "$errors"
    return 1
  fi
  rm -f "$errors"
  echo "# docker-compose config: clean (default and e2e profile); refused without POSTGRES_PASSWORD"
}

check_compose

work="$(mktemp -d "${TMPDIR:-/tmp}/cp-dockerfile-file-set.XXXXXX")"
trap 'rm -rf "$work"' EXIT
node scripts/ci/replay-build-stage.mjs Dockerfile build "$work"

args=()
if [ -n "${E2E_TEST_PATHS:-}" ]; then args=(--testPathPatterns "$E2E_TEST_PATHS"); fi
# A port nobody holds, so that two runs on one machine do not meet.
E2E_SKIP_BUILD=1 E2E_PORT="${E2E_PORT:-$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')}" \
  bash "$work/scripts/e2e-against-server.sh" "$server_url" "${args[@]}"
