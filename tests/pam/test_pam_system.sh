#!/bin/bash
# test_pam_system.sh - pam_roster.so installed for real and driven by the
# machine's own PAM clients: pamtester, and su run by an unprivileged user.
#
# The script re-executes itself in a private mount namespace, lays overlays
# (upper layers in a fresh tmpfs) over /etc, /usr and /var, and inside them
# installs pam_roster.so into the multiarch security directory,
# libnss_roster.so.2 (su and pamtester look the target user up through
# NSS), cli/roster, /etc/roster/roster.conf, a pam.d service for pamtester
# and a pam.d/su that authenticates with pam_roster, and a pwquality.conf.
# The real CLI creates the users in /var/lib/roster.  Back outside, the
# host's /etc, /usr and /var must be as they were.
#
# Needs root, unshare(1), setpriv(1) (util-linux), su (util-linux),
# pamtester, gcc (for the multiarch triplet), and overlayfs and tmpfs in the
# kernel.  Run after `make all`.  Takes a few seconds.
set -u
SELF=$(realpath "$0")
cd "$(dirname "$SELF")/../.." || exit 1

# shellcheck source=tests/system/ns.sh
. "$(dirname "$SELF")/../system/ns.sh"

# =====================================================================
# Outside: prepare, re-execute in a mount namespace, verify the host.
# =====================================================================
if [ "${ROSTER_PAMTEST_INNER:-}" != 1 ]; then
	host_state() {
		local f
		for f in /etc/pam.d/su /etc/nsswitch.conf /etc/security/pwquality.conf; do
			sha256sum "$f" 2>&1
		done
		for f in "/usr/lib/$triplet/security/pam_roster.so" "/usr/lib/$triplet/libnss_roster.so.2" \
			/usr/sbin/roster /etc/roster /var/lib/roster /etc/pam.d/roster-test; do
			if [ -e "$f" ] || [ -L "$f" ]; then echo "$f exists"; else echo "$f absent"; fi
		done
	}
	overlays() { findmnt | grep -c overlay; }

	if [ "$(id -u)" -ne 0 ]; then
		not_ok "cannot create a mount namespace: not root (uid $(id -u))"
		exit 1
	fi
	for f in cli/roster nss_module/libnss_roster.so.2 pam_module/pam_roster.so; do
		[ -e "$f" ] || { not_ok "$f is built (run make all)"; exit 1; }
	done
	for c in unshare setpriv su pamtester findmnt; do
		command -v "$c" >/dev/null || { not_ok "$c is installed"; exit 1; }
	done
	triplet=$(gcc -print-multiarch 2>/dev/null)
	if [ -z "$triplet" ] || [ ! -d "/usr/lib/$triplet/security" ]; then
		not_ok "gcc -print-multiarch names a directory with PAM modules (got '$triplet')"
		exit 1
	fi

	before=$(host_state)
	overlays_before=$(overlays)
	S=$(mktemp -d /tmp/roster-pamsys.XXXXXX) || { not_ok "mktemp"; exit 1; }
	trap 'rm -rf "$S"' EXIT
	trap 'exit 1' HUP INT TERM
	case "$(realpath "$S")/" in
	/etc/* | /usr/* | /var/*)
		not_ok "cannot create a mount namespace: $S resolves under an overlaid directory"
		exit 1 ;;
	esac
	if ! chmod 0711 "$S" || ! mkdir "$S/ns"; then not_ok "prepare $S"; exit 1; fi
	if ! err=$(unshare --mount --propagation private true 2>&1); then
		not_ok "cannot create a mount namespace: ${err:-unshare failed}"
		exit 1
	fi
	ROSTER_PAMTEST_INNER=1 ROSTER_PAMTEST_DIR=$S/ns ROSTER_PAMTEST_TRIPLET=$triplet \
		ROSTER_PAMTEST_HOST_NS=$(readlink /proc/self/ns/mnt) \
		timeout -k 5 120 unshare --mount --propagation private bash "$SELF" </dev/null >"$S/log" 2>&1
	rc=$?
	cat "$S/log"
	[ "$rc" -eq 124 ] && echo "not ok - the test inside the namespace timed out"
	n=$(grep -c '^ok - ' "$S/log")
	failed=$(grep -c '^not ok - ' "$S/log")
	if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
		not_ok "the test inside the namespace exited with status $rc"
	fi

	same "host: pam.d/su, nsswitch.conf, pwquality.conf, modules, CLI, /etc/roster, /var/lib/roster as before" \
		"$(host_state)" "$before"
	same "host: as many overlay mounts as before" "$(overlays)" "$overlays_before"
	ns_gone "$S"

	echo "# pam system: $n checks, $failed failed"
	[ "$failed" -eq 0 ]
	exit
fi

# =====================================================================
# Inside the mount namespace.
# =====================================================================
S=$ROSTER_PAMTEST_DIR
triplet=$ROSTER_PAMTEST_TRIPLET
ns_overlays "$S" "$ROSTER_PAMTEST_HOST_NS" roster-pamsys
ok "private mount namespace with overlays on /etc, /usr and /var"
[ -d /run/nscd ] && mount -t tmpfs none /run/nscd
rm -rf /var/lib/roster /etc/roster

# --- install, as a package would
SECDIR=/usr/lib/$triplet/security
check "install pam_roster.so into $SECDIR" install -m 0644 pam_module/pam_roster.so "$SECDIR/pam_roster.so"
check "install libnss_roster.so.2" install -m 0644 nss_module/libnss_roster.so.2 "/usr/lib/$triplet/libnss_roster.so.2"
check "install the CLI as /usr/sbin/roster" install -m 0755 cli/roster /usr/sbin/roster
ldconfig
sed -E -i -e '/^(passwd|group):/ s/[[:space:]]+roster([[:space:]]|$)/\1/g' \
	-e 's/^((passwd|group):[[:space:]]+(.*[[:space:]])?files)([[:space:]]|$)/\1 roster\4/' /etc/nsswitch.conf
mkdir -p /etc/roster
cat >/etc/roster/roster.conf <<'CONF'
# written by tests/pam/test_pam_system.sh: cheap hashing, a short lockout
[passwords]
opslimit = 1
memlimit = 8192
[lockout]
deny = 3
CONF
# The system's password quality rules: every character class.
mkdir -p /etc/security
printf 'minclass = 4\ndictcheck = 0\n' >/etc/security/pwquality.conf
# pamtester's service: every group through pam_roster, by its plain name.
cat >/etc/pam.d/roster-test <<'PAMD'
auth     required pam_roster.so config=/etc/roster/roster.conf
account  required pam_roster.so config=/etc/roster/roster.conf
password required pam_roster.so config=/etc/roster/roster.conf
session  required pam_roster.so config=/etc/roster/roster.conf
PAMD
# su: root passes; everyone else authenticates with pam_roster.  config= is
# what a setuid su reads: it ignores $ROSTER_CONFIG (secure_getenv).
cat >/etc/pam.d/su <<'PAMD'
auth     sufficient pam_rootok.so
auth     required   pam_roster.so config=/etc/roster/roster.conf
account  sufficient pam_rootok.so
account  required   pam_roster.so config=/etc/roster/roster.conf
session  required   pam_roster.so config=/etc/roster/roster.conf
PAMD
unset ROSTER_CONFIG ROSTER_NSS_DIR LD_LIBRARY_PATH LD_PRELOAD SUDO_USER
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

PW='Quartz-Lantern-58!'
mk() { # mk DESCRIPTION ARGS...: roster ARGS succeeds (stdin: $INPUT)
	local d=$1 out
	shift
	if out=$(printf '%s\n' "${INPUT:-}" | roster "$@" 2>&1); then ok "$d"; else
		not_ok "$d"
		printf '#   %s\n' "$out"
	fi
}
INPUT=$PW mk "roster user add alice --password-stdin" user add alice --email alice@example.org --password-stdin
INPUT=$PW mk "roster user add bob --password-stdin" user add bob --email bob@example.org --password-stdin
same "getent passwd alice: the target user is visible through NSS" "$(getent passwd alice | cut -d: -f1)" alice

# --- pamtester
pt() { # pt INPUT ARGS...: pamtester with INPUT on stdin; output in $OUT, status in $RC
	local input=$1
	shift
	OUT=$(printf '%s' "$input" | pamtester "$@" 2>&1)
	RC=$?
}
pt "$PW"$'\n' roster-test alice authenticate
same "pamtester: alice authenticates with her password" "$RC:$(grep -c 'successfully authenticated' <<<"$OUT")" "0:1"
pt 'not her password'$'\n' roster-test alice authenticate
same "pamtester: a wrong password fails (Authentication failure)" \
	"$RC:$(grep -c 'Authentication failure' <<<"$OUT")" "1:1"
pt 'anything'$'\n' roster-test nosuchuser authenticate
same "pamtester: an unknown user fails with the same error" \
	"$RC:$(grep -c 'Authentication failure' <<<"$OUT")" "1:1"
pt "$PW"$'\n' roster-test alice authenticate acct_mgmt open_session close_session
same "pamtester: authenticate, acct_mgmt, open_session, close_session" "$RC" 0
same "roster user show alice: the last login came through roster-test" \
	"$(roster user show alice | grep -c '^last login .* via roster-test from -$')" 1
pt 'Plainlowercase-only'$'\n''Plainlowercase-only'$'\n' roster-test alice chauthtok
same "pamtester chauthtok: /etc/security/pwquality.conf (minclass = 4) refuses, and says why" \
	"$RC:$(grep -c 'BAD PASSWORD: The password contains less than 4 character classes' <<<"$OUT")" "1:1"
NEW='Vivid-Orchard-31#'
pt "$NEW"$'\n'"$NEW"$'\n' roster-test alice chauthtok
same "pamtester chauthtok: a good new password is accepted" "$RC" 0
pt "$NEW"$'\n' roster-test alice authenticate
same "pamtester: the new password works" "$RC" 0
pt "$PW"$'\n' roster-test alice authenticate
same "pamtester: the old one does not" "$RC" 1
same "roster user history alice: one password.change event" \
	"$(roster user history alice --json | jq '[.[] | select(.action == "password.change")] | length')" 1
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
OUT=$(printf '%s\n' "$NEW" | nobody pamtester roster-test alice authenticate 2>&1)
same "pamtester as uid 65534 (cannot read accounts.tdb): fails cleanly" \
	"$?:$(grep -c 'Authentication service cannot retrieve authentication info' <<<"$OUT")" "1:1"

# --- su, run by an unprivileged user (su is setuid root)
su_as_nobody() { # su_as_nobody PASSWORD USER: what su prints; the last line is id -un's
	# (without a terminal the prompt ends up on the line of the first output)
	printf '%s\n' "$1" | ROSTER_CONFIG=/nonexistent nobody su "$2" -c 'echo; id -un' 2>&1
}
out=$(su_as_nobody "$PW" bob)
same "su bob as uid 65534 with bob's password: runs as bob" "$?:$(tail -n1 <<<"$out")" "0:bob"
out=$(su_as_nobody 'wrong password' bob)
rc=$?
same "su bob with a wrong password: refused" "$rc:$(grep -c 'Authentication failure' <<<"$out")" "1:1"
same "... and counted" "$(roster --json user show bob | sed -n 's/.*"failed_logins": \([0-9]*\).*/\1/p')" 1
same "roster user show bob: the last login came through su" \
	"$(roster user show bob | grep -c '^last login .* via su from -$')" 1
su_as_nobody 'wrong password' bob >/dev/null
su_as_nobody 'wrong password' bob >/dev/null
out=$(su_as_nobody "$PW" bob)
same "after 3 failures (deny = 3) bob is locked: his right password is refused, as silently as a wrong one" \
	"$?:$(grep -c 'Your account is locked' <<<"$out")" "1:0"
mk "roster user unlock bob" user unlock bob
out=$(su_as_nobody "$PW" bob)
same "after roster user unlock bob, su bob works again" "$?:$(tail -n1 <<<"$out")" "0:bob"

echo "# inside: $n checks, $failed failed"
[ "$failed" -eq 0 ]
