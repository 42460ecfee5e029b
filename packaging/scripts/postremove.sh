#!/bin/sh
# postrm of the shipper package: purge removes the state (registry, dead
# letters); the service user stays (its uid may own files elsewhere).
set -e
ROOT=${DPKG_ROOT:-} # see postinstall.sh
if [ "$1" = purge ]; then
	rm -rf "$ROOT/var/lib/shipper"
fi
if [ -z "$ROOT" ] && [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
