# tests/cli/lib.sh - helpers for the CLI tests: a throwaway database per
# test file, TAP-like "ok -"/"not ok -" lines, and a fingerprint of both
# databases to prove that a refused command changed nothing.
set -u
ROSTER=${ROSTER:-$PWD/cli/roster}
T=$(mktemp -d /tmp/roster-test.XXXXXX)
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
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

# A fingerprint of everything roster stores: the tdb contents in key order
# and every view file's bytes.
fingerprint() {
	{
		tdbdump "$T/db/accounts.tdb" | tr '\n' '\1' | sed 's/\x01}\x01/}\n/g' | sort
		cat "$T/db/view/"* 2>/dev/null | sha256sum
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
