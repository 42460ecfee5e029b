#!/bin/sh
# Render the layout of shipper's Kibana dashboards (panel titles, types,
# fields, grid) to an HTML page and, when chromium is installed
# (apt-get install -y chromium), screenshot it to a PNG.
#
#   scripts/preview-dashboards.sh [OUTDIR]     (default: a new temporary directory)
set -eu
cd "$(dirname "$0")/.."
out=${1:-$(mktemp -d)}
mkdir -p "$out"
html="$out/dashboards-preview.html"
height=$(go run ./dashboards/internal/preview -o "$html")
if command -v chromium >/dev/null 2>&1; then
	profile=$(mktemp -d)
	chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run \
		--user-data-dir="$profile" --hide-scrollbars \
		--screenshot="$out/dashboards-preview.png" --window-size=1400,"${height}" \
		"file://$(cd "$out" && pwd)/dashboards-preview.html" >/dev/null 2>&1 || true
	rm -rf "$profile"
	[ -f "$out/dashboards-preview.png" ] && echo "wrote $out/dashboards-preview.png"
else
	echo "chromium not installed (apt-get install -y chromium): open $html in a browser" >&2
fi
