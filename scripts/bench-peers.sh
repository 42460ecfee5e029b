# Extra peers for /work/shared/bench/run.sh (EXTRA_PEERS=scripts/bench-peers.sh):
# the shipper with its file output not rotating (the harness counts one
# file's lines; the default rotation at 100 MiB would split the output).
avail_shipper-nr-file() { [ -x "$SHIPPER_BIN" ]; }
peer_shipper-nr-file() {
  shipper_config "$1" "output.file: {path: \"$1\", filename: out.ndjson, rotate_every_kb: 100000000}"
  CMD=("$SHIPPER_BIN" run --once -c "$1/shipper.yml"); MODE=batch; SINK=file
}
