#!/bin/sh
# postrm of the shipper package: purge removes the state (registry, dead
# letters); the service user stays (its uid may own files elsewhere).
set -e
if [ -n "${DPKG_ROOT:-}" ]; then
	exit 0
fi
if [ "$1" = purge ]; then
	rm -rf /var/lib/shipper
fi
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
