#!/usr/bin/env bash
# The run command (README "Quick start"): set up what is missing, then run the node in the foreground.
# exec hands the terminal to the node, so Ctrl-C reaches it (and its servers) and it stops them cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# the demo's model strategies trade on 1 s bars, so forecasts show within a minute (the platform's default is 1m)
export AM_FEATURES_BAR_TYPE="${AM_FEATURES_BAR_TYPE:-1s}"
# the demo market's quotes and trades fill about 17 GB of QuestDB a day: the demo keeps two days of them
export AM_TICK_RETENTION_DAYS="${AM_TICK_RETENTION_DAYS:-2}"
exec node --import tsx supervisors/node/main.ts
