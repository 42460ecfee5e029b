#!/usr/bin/env bash
# Static router builds of the shipper, then a smoke test of each under
# qemu-user: `shipper version` and `shipper run --once` over
# testdata/squid-access.log to the file output, checking the document count.
#
#   scripts/build-cross.sh               # all targets into dist/
#   TARGETS="amd64 arm64" scripts/build-cross.sh
#   SMOKE=0 scripts/build-cross.sh       # build only
#
# Needs Debian's qemu-user-static (or qemu-user) for the foreign targets;
# binfmt_misc is not assumed (containers rarely have it): qemu-<arch>-static
# is called explicitly.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT=${OUT:-$ROOT/dist}
TARGETS=${TARGETS:-"amd64 arm64 armv7 mipsle"}
SMOKE=${SMOKE:-1}
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
COMMIT=${COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}
DATE=${DATE:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}
PKG=github.com/shipper-project/shipper/shipper/version
LDFLAGS="-s -w -X $PKG.Version=$VERSION -X $PKG.Commit=$COMMIT -X $PKG.Date=$DATE"
mkdir -p "$OUT"

# target → GOARCH, extra env, qemu binary
goenv() {
	case "$1" in
	amd64) echo "GOARCH=amd64" ;;
	arm64) echo "GOARCH=arm64" ;;
	armv7) echo "GOARCH=arm GOARM=7" ;;
	mipsle) echo "GOARCH=mipsle GOMIPS=softfloat" ;;
	*) echo "unknown target $1 (want amd64, arm64, armv7, mipsle)" >&2; return 1 ;;
	esac
}
qemu() {
	local q
	case "$1" in
	amd64) [ "$(uname -m)" = x86_64 ] && return 0; q=qemu-x86_64 ;;
	arm64) q=qemu-aarch64 ;;
	armv7) q=qemu-arm ;;
	mipsle) q=qemu-mipsel ;;
	esac
	for c in "$q-static" "$q"; do
		if command -v "$c" >/dev/null; then echo "$c"; return 0; fi
	done
	echo "build-cross: $q-static not found: apt-get install -y qemu-user-static (or qemu-user)" >&2
	return 1
}

printf '%-8s %12s  %s\n' target bytes binary
for t in $TARGETS; do
	env_=$(goenv "$t")
	bin="$OUT/shipper-linux-$t"
	# shellcheck disable=SC2086
	env CGO_ENABLED=0 GOOS=linux $env_ go build -trimpath -ldflags "$LDFLAGS" -o "$bin" ./shipper
	printf '%-8s %12d  %s\n' "$t" "$(stat -c %s "$bin")" "$bin"
done

[ "$SMOKE" = 1 ] || exit 0

lines=$(grep -c . testdata/squid-access.log)
fail=0
for t in $TARGETS; do
	bin="$OUT/shipper-linux-$t"
	q=$(qemu "$t")
	run() { if [ -n "$q" ]; then "$q" "$bin" "$@"; else "$bin" "$@"; fi; }
	work=$(mktemp -d)
	cat >"$work/shipper.yml" <<YML
shipper.inputs:
  - type: squid
    id: squid-sample
    paths: [$ROOT/testdata/squid-access.log]
output.file:
  path: $work/out
path.data: $work/data
logging.level: warning
YML
	chmod 600 "$work/shipper.yml"
	v=$(run version)
	case "$v" in
	*"$VERSION"*) ;;
	*) echo "FAIL $t: version printed $v, want $VERSION"; fail=1 ;;
	esac
	if ! run run --once -c "$work/shipper.yml" 2>"$work/stderr"; then
		echo "FAIL $t: run --once failed:"; cat "$work/stderr"; fail=1
	else
		got=$(wc -l <"$work/out/shipper.ndjson")
		if [ "$got" -ne "$lines" ]; then
			echo "FAIL $t: run --once wrote $got documents, want $lines"; fail=1
		else
			echo "ok   $t: ${q:-native}: $v; run --once shipped $got/$lines documents"
		fi
	fi
	rm -rf "$work"
done
exit $fail
