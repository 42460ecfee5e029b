#!/usr/bin/env bash
# Builds dist/shipper_<version>_<arch>.deb with nfpm, run from the Go module
# proxy at a pinned version (nothing to install, nothing added to go.mod).
#
#   scripts/build-deb.sh                 # amd64
#   ARCH=arm64 scripts/build-deb.sh      # amd64 arm64 armv7 (armhf) mipsle (mipsel)
#   BINARY=dist/shipper-linux-amd64 scripts/build-deb.sh   # package a built binary
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
NFPM=${NFPM:-github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2}
ARCH=${ARCH:-amd64}
OUT=${OUT:-$ROOT/dist}
mkdir -p "$OUT"

case "$ARCH" in
amd64) debarch=amd64 ;;
arm64) debarch=arm64 ;;
armv7) debarch=armhf ;;
mipsle) debarch=mipsel ;;
*) echo "build-deb: unknown ARCH $ARCH (want amd64, arm64, armv7, mipsle)" >&2; exit 2 ;;
esac

# Debian versions must start with a digit: a tag v1.2.3 gives 1.2.3; an
# untagged tree gives <version.go's Version>~git<date>.<commit>.
if [ -z "${VERSION:-}" ]; then
	tag=$(git describe --tags --exact-match 2>/dev/null || true)
	if [ -n "$tag" ]; then
		VERSION=${tag#v}
	else
		base=$(sed -n 's/^[[:space:]]*Version = "\([^"]*\)".*/\1/p' shipper/version/version.go | head -1)
		base=${base%-dev}
		VERSION="${base:-0.0.0}~git$(date -u +%Y%m%d).$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
	fi
fi
export VERSION

if [ -z "${BINARY:-}" ]; then
	TARGETS=$ARCH SMOKE=0 OUT=$OUT scripts/build-cross.sh >/dev/null
	BINARY=$OUT/shipper-linux-$ARCH
fi

deb="$OUT/shipper_${VERSION}_${debarch}.deb"
rm -f "$deb"
# nfpm expands ${VAR} in some fields only (not in contents' src): fill the
# three placeholders here.
conf=$(mktemp "$OUT/nfpm-XXXXXX.yaml")
trap 'rm -f "$conf"' EXIT
sed -e "s|\${SHIPPER_VERSION}|$VERSION|g" -e "s|\${SHIPPER_DEB_ARCH}|$debarch|g" -e "s|\${SHIPPER_BINARY}|$BINARY|g" \
	packaging/nfpm.yaml >"$conf"
# GOFLAGS from the caller (e.g. -mod=vendor) must not reach the tool's build.
GOFLAGS= go run "$NFPM" package --config "$conf" --packager deb --target "$deb" >&2
echo "$deb"
