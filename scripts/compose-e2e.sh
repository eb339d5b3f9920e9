#!/usr/bin/env bash
# The compose `e2e` profile's two roles, run in the build stage's image:
#   api    the API the suite talks to: the suite's test policy, the receivers' allowlist, and an
#          admin key made here at random and handed to the suite through /run/e2e (a volume of the
#          profile's own), so no key is written in the compose file;
#   suite  the e2e suite against that API over HTTP (extra arguments go to jest).
set -euo pipefail
cd "$(dirname "$0")/.."

key_file=/run/e2e/admin-key
case "${1:-}" in
  api)
    umask 077
    node -e 'process.stdout.write(require("node:crypto").randomBytes(24).toString("hex"))' >"$key_file"
    node scripts/write-test-policy.js /tmp/test-policy.json
    BOOTSTRAP_ADMIN_KEY="$(cat "$key_file")" POLICY_FILE=/tmp/test-policy.json \
      exec node -r ./scripts/register-paths.js dist/apps/api/src/main.js
    ;;
  suite)
    shift
    BOOTSTRAP_ADMIN_KEY="$(cat "$key_file")" exec npx jest --selectProjects e2e "$@"
    ;;
  *)
    echo "usage: compose-e2e.sh api | suite [jest arguments]" >&2
    exit 2
    ;;
esac
