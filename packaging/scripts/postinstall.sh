#!/bin/sh
# postinst of the shipper package.
set -e
# `dpkg --root DIR --force-script-chrootless` (the package test) runs this
# outside the target root with DPKG_ROOT set: touch nothing of the host.
if [ -n "${DPKG_ROOT:-}" ]; then
	exit 0
fi
if ! getent passwd shipper >/dev/null; then
	if command -v systemd-sysusers >/dev/null 2>&1; then
		systemd-sysusers /usr/lib/sysusers.d/shipper.conf
	else
		useradd --system --user-group --home-dir /var/lib/shipper --no-create-home \
			--shell /usr/sbin/nologin --comment "shipper log shipper" shipper
	fi
fi
# The service user reads the config (it may hold credentials: keep 0600).
if [ -f /etc/shipper/shipper.yml ]; then
	chown shipper:shipper /etc/shipper/shipper.yml
	chmod 0600 /etc/shipper/shipper.yml
fi
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
	if [ "$1" = configure ] && [ -n "$2" ]; then
		# Upgrade: restart a running shipper on the new binary.
		systemctl try-restart shipper.service >/dev/null 2>&1 || true
	fi
fi
exit 0
