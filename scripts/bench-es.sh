#!/usr/bin/env bash
# Elasticsearch-output figures: the shipper vs Filebeat, both posting _bulk
# to a fresh VictoriaLogs, through the shared harness (/work/shared/bench,
# see its README). Events/s and CPU-µs/event come out of its summary.
#
#   scripts/bench-es.sh [-n LINES] [-r ROUNDS] [-p "PEERS"]   (default 200000 lines, 3 rounds)
#
# Needs: Filebeat at $FILEBEAT_BIN (default /tmp/bin/filebeat; built by
# bench/build-peers.sh filebeat, tried once when missing) and VictoriaLogs at
# $VL_BIN (default .bin/victoria-logs, as the integration tests use).
# Peers: shipper-es (the harness's: compression 0, worker 1), shipper-es-gzip
# (this output's defaults: gzip level 1), shipper-es-vl (worker 2 and the
# same VictoriaLogs field-mapping parameters as the harness's Filebeat
# config), shipper-file (the input side alone) and filebeat-es.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH=${BENCH:-/work/shared/bench}
N=200000
ROUNDS=3
peers=""
while getopts "n:r:p:h" o; do
  case $o in
    n) N=$OPTARG ;;
    r) ROUNDS=$OPTARG ;;
    p) peers=$OPTARG ;;
    *) sed -n '2,15p' "$0"; exit 2 ;;
  esac
done

export FILEBEAT_BIN=${FILEBEAT_BIN:-/tmp/bin/filebeat}
export VL_BIN=${VL_BIN:-$ROOT/.bin/victoria-logs}
# Own work dir and port: other runs of the harness may be going on.
export WORK=${WORK:-/tmp/shipper-bench-es}
export VL_PORT=${VL_PORT:-19428}
mkdir -p "$WORK"

if [ ! -x "$VL_BIN" ]; then
  echo "VictoriaLogs not found at $VL_BIN: GOBIN=$ROOT/.bin go install github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs@v1.52.1" >&2
  exit 1
fi
if [ ! -x "$FILEBEAT_BIN" ]; then
  echo "Filebeat not at $FILEBEAT_BIN: building it once with $BENCH/build-peers.sh filebeat" >&2
  PEER_BIN="$(dirname "$FILEBEAT_BIN")" "$BENCH/build-peers.sh" filebeat || {
    echo "Filebeat build failed; only the shipper is measured" >&2; }
fi

export SHIPPER_BIN="$WORK/shipper"
(cd "$ROOT" && go build -o "$SHIPPER_BIN" ./shipper)

# The output's own defaults (gzip level 1) next to the harness's peer.
cat > "$WORK/peers.sh" <<'PEERS'
avail_shipper-es-gzip() { [ -x "$SHIPPER_BIN" ]; }
peer_shipper-es-gzip() {
  shipper_config "$1" "output.elasticsearch: {hosts: [\"$ES_URL\"], bulk_max_size: 2048}"
  CMD=("$SHIPPER_BIN" run --once -c "$1/shipper.yml"); MODE=batch; SINK=es
}
avail_shipper-es-vl() { [ -x "$SHIPPER_BIN" ]; }
peer_shipper-es-vl() {
  shipper_config "$1" "output.elasticsearch: {hosts: [\"$ES_URL\"], bulk_max_size: 2048, worker: 2, compression_level: 0, parameters: {_msg_field: message, _time_field: \"@timestamp\", _stream_fields: log.file.path}}"
  CMD=("$SHIPPER_BIN" run --once -c "$1/shipper.yml"); MODE=batch; SINK=es
}
PEERS
export EXTRA_PEERS="$WORK/peers.sh"

if [ -z "$peers" ]; then
  peers="shipper-es shipper-es-gzip shipper-es-vl"
  [ -x "$FILEBEAT_BIN" ] && peers="$peers filebeat-es"
fi
"$BENCH/run.sh" -n "$N" -r "$ROUNDS" -w "$WORK" -p "$peers"
