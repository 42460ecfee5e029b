#!/bin/sh
# postinst of the shipper package: the service user, then the owners and
# modes the service needs to read its configuration and write its state:
#   /etc/shipper              root:shipper 0750
#   /etc/shipper/shipper.yml  root:shipper 0640  (the service reads it, cannot change it)
#   /var/lib/shipper          shipper:shipper 0750  (path.data: registry, keystore, dead letters)
# dpkg unpacks files before this runs, when the user may not exist yet, so
# the group is set here. Change them with dpkg-statoverride(1): a path with
# an override is left alone.
set -e
# `dpkg --root DIR --force-script-chrootless` (the package test, image
# builders) runs this on the host with DPKG_ROOT=DIR: every path is taken
# inside DIR, nothing of the host is touched.
ROOT=${DPKG_ROOT:-}

if [ -n "$ROOT" ]; then
	if ! grep -q '^shipper:' "$ROOT/etc/passwd" 2>/dev/null; then
		if ! command -v systemd-sysusers >/dev/null 2>&1; then
			echo "shipper postinst: systemd-sysusers is needed to create the shipper user in $ROOT" >&2
			exit 1
		fi
		# From stdin: how a file argument is found under --root differs
		# between systemd versions.
		mkdir -p "$ROOT/etc"
		systemd-sysusers --root="$ROOT" - <"$ROOT/usr/lib/sysusers.d/shipper.conf"
	fi
	uid=$(awk -F: '$1 == "shipper" { print $3 }' "$ROOT/etc/passwd")
	gid=$(awk -F: '$1 == "shipper" { print $3 }' "$ROOT/etc/group")
else
	if ! getent passwd shipper >/dev/null; then
		if command -v systemd-sysusers >/dev/null 2>&1; then
			systemd-sysusers /usr/lib/sysusers.d/shipper.conf
		else
			useradd --system --user-group --home-dir /var/lib/shipper --no-create-home \
				--shell /usr/sbin/nologin --comment "shipper log shipper" shipper
		fi
	fi
	uid=shipper
	gid=shipper
fi
if [ -z "$uid" ] || [ -z "$gid" ]; then
	echo "shipper postinst: no shipper user or group" >&2
	exit 1
fi

# setperm OWNER GROUP MODE PATH, unless PATH has a dpkg-statoverride.
setperm() {
	[ -e "$ROOT$4" ] || return 0
	if dpkg-statoverride --list "$4" >/dev/null 2>&1; then
		return 0
	fi
	chown "$1:$2" "$ROOT$4"
	chmod "$3" "$ROOT$4"
}
mkdir -p "$ROOT/var/lib/shipper"
setperm root "$gid" 0750 /etc/shipper
setperm root "$gid" 0640 /etc/shipper/shipper.yml
setperm "$uid" "$gid" 0750 /var/lib/shipper

if [ -z "$ROOT" ] && [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
	if [ "$1" = configure ] && [ -n "$2" ]; then
		# Upgrade: restart a running shipper on the new binary.
		systemctl try-restart shipper.service >/dev/null 2>&1 || true
	fi
fi
exit 0
