#!/bin/bash
# make demo: the whole story of roster on a real system, in a private mount
# namespace.  scripts/demo-inside.sh runs there with overlays on /etc, /usr
# and /var and a /run and /home of its own: `make install`, nsswitch.conf,
# pam-auth-update, then roles, users, an invitation, getent, id and su with
# real PAM, a disabled login and the history.  When it ends, its mounts go
# with it; this script then checks that the host is as it was.
#
# Needs root, a built tree (make all), unshare and findmnt (util-linux),
# pam-auth-update (libpam-runtime), expect and setpriv.  Takes a few seconds.
set -u
cd "$(dirname "$(realpath "$0")")/.." || exit 1

die() { printf 'demo: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "the demo installs roster in a private mount namespace: run it as root"
for c in unshare findmnt pam-auth-update expect setpriv su getent timeout sha256sum; do
	command -v "$c" >/dev/null || die "$c is missing (bash scripts/deps.sh demo)"
done
for f in cli/roster pam_module/pam_roster.so nss_module/libnss_roster.so.2; do
	[ -f "$f" ] || die "$f is not built (make all)"
done
triplet=$(${CC:-cc} -print-multiarch 2>/dev/null)
if [ -z "$triplet" ] || [ ! -d "/usr/lib/$triplet" ]; then
	die "cc -print-multiarch names no directory in /usr/lib (got '$triplet')"
fi

# What the demo must not change on the host.
host_state() {
	local f
	for f in /usr/sbin/roster "/usr/lib/$triplet/security/pam_roster.so" \
		"/usr/lib/$triplet/libnss_roster.so.2" /usr/share/pam-configs/roster \
		/etc/roster /var/lib/roster /usr/local/bin/demo-mail /var/spool/demo-outbox; do
		if [ -e "$f" ] || [ -L "$f" ]; then echo "$f exists"; else echo "$f absent"; fi
	done
	(cd /etc/pam.d && sha256sum common-auth common-account common-password common-session su 2>&1)
	sha256sum /etc/nsswitch.conf /etc/passwd /etc/group 2>&1
	[ -f /etc/ld.so.cache ] && sha256sum /etc/ld.so.cache
	sha256sum /var/lib/pam/* 2>/dev/null
	getent passwd alice bob
	getent group analyst admin
}
overlays() { findmnt | grep -c overlay; }

T=$(mktemp -d /tmp/roster-demo.XXXXXX) || die "mktemp failed"
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM
case "$(realpath "$T")/" in
/etc/* | /usr/* | /var/* | /run/* | /home/*) die "$T resolves under a directory the demo overlays" ;;
esac
unshare --mount --propagation private true 2>/dev/null ||
	die "cannot create a mount namespace (unshare --mount failed; a container without CAP_SYS_ADMIN?)"

before=$(host_state)
overlays_before=$(overlays)

# Everything inside is bounded: a stuck prompt must not hang make demo.
ROSTER_DEMO_DIR=$T ROSTER_DEMO_TRIPLET=$triplet ROSTER_DEMO_HOST_NS=$(readlink /proc/self/ns/mnt) \
	timeout -k 5 120 unshare --mount --propagation private bash scripts/demo-inside.sh </dev/null
rc=$?
[ "$rc" -eq 124 ] && echo "demo: the demo timed out" >&2

after=$(host_state)
printf '\n'
if [ "$after" = "$before" ] && [ "$(overlays)" = "$overlays_before" ] &&
	[ "$(findmnt -rn -o TARGET | grep -c "^$T")" -eq 0 ]; then
	echo "# Back on the host: no roster files, common-*, su, nsswitch.conf, passwd, group and ld.so.cache as before, no alice or bob, no mounts left: the host is untouched."
else
	echo "# WARNING: the host is not as it was:" >&2
	diff <(echo "$before") <(echo "$after") >&2
	exit 1
fi
exit "$rc"
