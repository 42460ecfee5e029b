#!/usr/bin/env bash
# End-to-end benchmark, squid access.log → grok → NDJSON file, next to the
# plain-Go floors (read+split+NDJSON, vjeantet grok) run side by side in the
# same invocation of the shared harness (wall, events/s, CPU-µs/event, peak
# RSS per peer; every run's output is validated).
#
#   scripts/bench-e2e.sh [-n LINES] [-r ROUNDS] [-p "peers"]
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH=${BENCH:-/work/shared/bench}
n=200000 r=3 peers="floor-split floor-grok shipper-nr-file"
while getopts n:r:p: o; do case $o in n) n=$OPTARG;; r) r=$OPTARG;; p) peers=$OPTARG;; *) exit 2;; esac; done
mkdir -p /tmp/bin
go build -trimpath -ldflags "-s -w" -o /tmp/bin/shipper ./shipper
SHIPPER_BIN=/tmp/bin/shipper EXTRA_PEERS="$PWD/scripts/bench-peers.sh" "$BENCH/run.sh" -n "$n" -r "$r" -p "$peers"
