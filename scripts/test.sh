#!/usr/bin/env bash
# The test command (README "Quick start"): set up what is missing, then type-check, lint and run every test.
# With arguments, runs only those test files: bash scripts/test.sh infra/nats/resources.test.ts
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ "$#" -gt 0 ]; then
  exec npx tap "$@"
fi
exec npm test
