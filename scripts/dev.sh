#!/usr/bin/env bash
# The run command (README "Quick start"): set up what is missing, then run the node in the foreground.
# exec hands the terminal to the node, so Ctrl-C reaches it (and its servers) and it stops them cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node --import tsx supervisors/node/main.ts
