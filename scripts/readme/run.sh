#!/usr/bin/env bash
# Runs every command block of README.md in order, in one shell, exactly as written (the blocks are
# read from the README itself, so the two cannot drift), the way a new reader would: the service
# started as the README says, in the background, with nothing of CI's environment but PATH.
set -euo pipefail
cd "$(dirname "$0")/../.."

if curl -s -o /dev/null localhost:3000; then
  echo "something already answers on localhost:3000, where the README starts the service" >&2
  exit 1
fi
file=${1:-README.md}   # another file only to try a change out
work=$(mktemp -d)
node scripts/readme/extract.js "$file" "$work" > "$work/walk.sh"
# A reader's shell: no DATABASE_URL, API_URL or keys from the CI environment.
env -i PATH="$PATH" HOME="${HOME:-/root}" TERM=dumb LANG=C.UTF-8 bash "$work/walk.sh"
