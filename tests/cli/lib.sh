# tests/cli/lib.sh - helpers for the CLI tests: a throwaway database per
# test file, TAP-like "ok -"/"not ok -" lines, and a fingerprint of both
# databases to prove that a refused command changed nothing.
set -u
ROSTER=${ROSTER:-$PWD/cli/roster}
T=$(mktemp -d /tmp/roster-test.XXXXXX)
chmod 755 "$T"
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
printf 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/:/usr/sbin/nologin\nsysuser:x:65540:65540::/:/bin/sh\n' >"$T/passwd"
printf 'root:x:0:\nsysgroup:x:65541:\n' >"$T/group"
printf '/bin/sh\n/bin/bash\n/usr/bin/zsh\n' >"$T/shells"
cat >"$T/roster.conf" <<CONF
[database]
dir = $T/db
hash_size = 1009
[ids]
uid_min = 65536
uid_max = 99999
[passwords]
opslimit = 1
memlimit = 8192
min_length = 12
[system]
passwd = $T/passwd
group = $T/group
shells = $T/shells
CONF
export ROSTER_CONFIG="$T/roster.conf"
unset SUDO_USER

fails=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fails=$((fails + 1)); }
check() { # check DESCRIPTION COMMAND...: passes when the command succeeds
	local d=$1
	shift
	if "$@"; then ok "$d"; else notok "$d"; fi
}
roster() { "$ROSTER" "$@"; }

# run EXPECTED_RC DESCRIPTION ARGS...: output in $OUT, stderr in $ERR
run() {
	local want=$1 d=$2
	shift 2
	OUT=$("$ROSTER" "$@" 2>"$T/err" </dev/null)
	RC=$?
	ERR=$(cat "$T/err")
	if [ "$RC" -eq "$want" ]; then ok "$d"; else notok "$d (exit $RC, wanted $want: $ERR)"; fi
}

# A fingerprint of everything roster stores in the database directory DIR
# (default $T/db): the tdb contents in key order and every view file's bytes.
fingerprint() {
	local d=${1:-$T/db}
	{
		tdbdump "$d/accounts.tdb" | tr '\n' '\1' | sed 's/\x01}\x01/}\n/g' | sort
		cat "$d/view/"* 2>/dev/null | sha256sum
	} | sha256sum | cut -d' ' -f1
}

# refused RC DESCRIPTION ARGS...: the command fails with RC, says why on
# stderr, and leaves both databases byte-for-byte as they were.
refused() {
	local want=$1 d=$2 before after
	shift 2
	before=$(fingerprint)
	run "$want" "$d" "$@"
	after=$(fingerprint)
	[ -n "$ERR" ] || notok "$d: no message on stderr"
	[ "$before" = "$after" ] || notok "$d: the database changed"
}

json() { jq -r "$1"; }

# ---- the NSS view against the accounts, through real glibc ----
# getent_via_glibc asks glibc, which loads nss_module/libnss_roster.so.2 by
# name (LD_LIBRARY_PATH) and reads the view of $T/db (ROSTER_NSS_DIR).
nss_get() {
	LD_LIBRARY_PATH=$PWD/nss_module ROSTER_NSS_DIR=$T/db "$PWD/tests/nss/getent_via_glibc" "$@"
}

# Every passwd ("p ...") and group ("g ...") line glibc returns, sorted.
nss_entries() {
	{
		nss_get passwd | sed 's/^/p /'
		nss_get group | sed 's/^/g /'
	} | LC_ALL=C sort
}

# The same lines as the accounts give them: users with their private
# groups, and roles with their members.
accounts_entries() {
	{
		"$ROSTER" --json user list | jq -r '.[] |
			"p \(.name):x:\(.uid):\(.gid):\([.first_name, .last_name] | map(select(. != null)) | join(" ")):\(.home):\(.shell)",
			(select(.gid == .uid) | "g \(.name):x:\(.gid):")'
		"$ROSTER" --json role list | jq -r '.[] | "g \(.name):x:\(.gid):\((.members // []) | join(","))"'
	} | LC_ALL=C sort
}

# nss_agrees: glibc shows exactly what the accounts hold; else prints the
# first differences as comments and fails.
nss_agrees() {
	local d
	d=$(diff <(accounts_entries) <(nss_entries))
	[ -z "$d" ] && return 0
	head -5 <<<"$d" | sed 's/^/#   /'
	return 1
}

# stale_view_only JSON: db check --json found nothing but an NSS view
# whose stamp lags the accounts (and the entries that lag with it): what a
# writer killed after its tdb commit and before its stamp leaves, and what
# the next write or db check --repair rebuilds.  A view that differs from
# the accounts under an up-to-date stamp is not this.
stale_view_only() {
	jq -e '(.problems | length > 0)
		and (.problems | all(test("^(the NSS view reflects generation|view entry |view shard )")))
		and (.problems | any(test("^the NSS view reflects generation")))' <<<"$1" >/dev/null
}

# users_incomplete [JSON]: the live users that lack a field every user
# has, in JSON (a `user list --json` already taken) or in a new listing.
users_incomplete() {
	{ [ $# -gt 0 ] && printf '%s\n' "$1" || "$ROSTER" --json user list; } | jq -r '.[] |
		select([.name, .uid, .gid, .uuid, .email, .shell, .home, .status] | any(. == null)) | .name'
}
