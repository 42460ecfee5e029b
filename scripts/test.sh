#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine: installs what the tests
# need (Debian packages, VictoriaLogs as the real _bulk server), then runs
# vet, the unit tests with the race detector, and the integration tests
# against real programs (VictoriaLogs, snmpd, mpstat/pidstat, softflowd,
# nfcapd/nfdump, pmacctd/sfacctd, tcpdump).
#
#   scripts/test.sh            everything
#   SKIP_INSTALL=1 scripts/test.sh   when the tools are already there
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="/usr/local/go/bin:$PATH"

if [ "${SKIP_INSTALL:-0}" != 1 ]; then
  pkgs="snmpd snmp sysstat locales chromium qemu-user-static softflowd nfdump pmacct tcpdump"
  missing=""
  for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    # An apt run here once failed transiently on a concurrent upgrade; retry once after --fix-broken.
    $SUDO apt-get install -y -qq $missing >/dev/null || { $SUDO apt-get --fix-broken install -y -qq && $SUDO apt-get install -y -qq $missing >/dev/null; }
  fi
  # Locales for the sysstat parsers' real-output tests: a 12-hour one and a
  # decimal-comma one.
  for loc in en_US de_DE; do
    if ! locale -a 2>/dev/null | grep -qi "^${loc}\.utf-\?8$"; then
      SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
      $SUDO localedef -i "$loc" -f UTF-8 "$loc.UTF-8"
    fi
  done
  # VictoriaLogs: the real Elasticsearch _bulk server of the integration tests.
  if [ ! -x "$ROOT/.bin/victoria-logs" ]; then
    GOBIN="$ROOT/.bin" go install github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs@v1.52.1
  fi
fi
export VICTORIALOGS_BIN="$ROOT/.bin/victoria-logs"

echo "== gofmt"
bad=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$bad" ]; then echo "gofmt needed: $bad"; exit 1; fi
echo "== go vet"
go vet ./...
go vet -tags integration ./...
echo "== unit tests (race)"
go test -race -count=1 ./...
echo "== integration tests (real programs)"
go test -tags integration -count=1 -timeout 60m ./...
echo "== all tests passed"
