#!/bin/sh
# prerm of the shipper package: stop the service on removal (not upgrade).
set -e
if [ -n "${DPKG_ROOT:-}" ]; then
	exit 0
fi
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
	systemctl disable --now shipper.service >/dev/null 2>&1 || true
fi
exit 0
