#!/bin/bash
# test_full_disk.sh - the database on a file system that fills up.
#
# In a private mount namespace, a 4 MiB tmpfs holds the database directory,
# and a filler file there sets how much space is left.  Each command that
# succeeds is recorded; whatever fails must say that the disk is full, exit
# 1, change nothing (the fingerprint of both databases), leave no temporary
# file behind, and lose nothing committed before it.  The disk is filled:
#  1. by adding users until an add fails;
#  2. so that the view's new shards do not fit (no byte free) while the
#     tdb write does (one add with 1 MiB free first lets accounts.tdb grow,
#     by a quarter): the same edit then succeeds with 64 KiB free, less
#     than tdb ever grows the file by;
#  3. so that the new shards fit (64 KiB free) but growing accounts.tdb
#     does not: users are added until the tdb commit fails.
# Then the filler goes, writes work again, db check passes and glibc shows
# exactly the accounts.  Needs root, unshare(1) and tmpfs.
SELF=$(realpath "$0")
cd "$(dirname "$SELF")/../.." || exit 1

if [ "${ROSTER_FULLDISK_INNER:-}" != 1 ]; then
	if ! unshare --mount --propagation private env ROSTER_FULLDISK_INNER=1 bash "$SELF"; then
		echo "not ok - the full-disk test in its mount namespace"
		exit 1
	fi
	if findmnt -rn -o SOURCE | grep -q '^roster-fulldisk$'; then
		echo "not ok - host: the test's tmpfs is not mounted here"
	else
		echo "ok - host: the test's tmpfs is not mounted here"
	fi
	exit 0
fi

. tests/cli/lib.sh
trap 'umount "$T/db" 2>/dev/null; rm -rf "$T"' EXIT

mkdir "$T/db"
mount -t tmpfs -o size=4m,mode=0755 roster-fulldisk "$T/db" || { notok "a tmpfs for the database"; exit 1; }
: >"$T/committed"

free_kib() { echo $(($(stat -f -c '%f * %S' "$T/db") / 1024)); }
# leave_free KIB: grows or shrinks the filler so that KIB are left free.
leave_free() {
	local size
	size=$(($(stat -c %s "$T/db/filler" 2>/dev/null || echo 0) / 1024 + $(free_kib) - $1))
	[ "$size" -lt 0 ] && size=0
	if [ "$size" -gt $(($(stat -c %s "$T/db/filler" 2>/dev/null || echo 0) / 1024)) ]; then
		fallocate -l "${size}K" "$T/db/filler"
	else
		truncate -s "${size}K" "$T/db/filler"
	fi
}
n=0
# add_user: the next user (its arguments in ARGS); recorded when it was
# committed.  Sets $ERR and $RC.
add_user() {
	n=$((n + 1))
	ARGS=(user add "u$n" --email "u$n@example.org" --first "First$n" --last "Last$n" --role staff)
	"$ROSTER" "${ARGS[@]}" >/dev/null 2>"$T/err" </dev/null
	RC=$?
	ERR=$(cat "$T/err")
	[ "$RC" = 0 ] && echo "u$n u$n@example.org First$n Last$n" >>"$T/committed"
	return "$RC"
}
# Every committed user is there and whole, and nobody else.
all_committed() {
	local got want
	want=$(sort "$T/committed")
	got=$("$ROSTER" --json user list | jq -r '.[] | select(.name | test("^u[0-9]+$")) |
		select(.roles == ["staff"]) | "\(.name) \(.email) \(.first_name) \(.last_name)"' | sort)
	[ "$got" = "$want" ] && [ -z "$(users_incomplete)" ]
}
no_tmp() { [ -z "$(find "$T/db/view" -name '*.tmp')" ]; }
disk_full_said() { grep -qiE "no space left|is full" <<<"$ERR"; }

roster role add staff >/dev/null || { notok "a first write on the tmpfs"; exit 1; }
for i in $(seq 1 20); do add_user >/dev/null; done
check "20 users on a 4 MiB tmpfs" [ "$(wc -l <"$T/committed")" = 20 ]

# 1. Users until an add fails.
leave_free 400
while add_user; do :; done
echo "# the add of u$n failed after $(($(wc -l <"$T/committed") - 20)) more users, $(free_kib) KiB free: $ERR"
check "1. a failed add exits 1" [ "$RC" = 1 ]
check "1. ... saying the disk is full" disk_full_said
check "1. ... and leaves no temporary file" no_tmp
refused 1 "1. the same add again is refused and changes nothing" "${ARGS[@]}"
run 0 "1. db check passes" db check
check "1. every user committed before is there and whole" all_committed
check "1. glibc shows the accounts" nss_agrees

# 2. No byte free: the view's new shards cannot be written.
leave_free 1024
check "2. with 1 MiB free an add succeeds" add_user
leave_free 0
refused 1 "2. with the disk full an edit is refused and changes nothing" user edit u1 --first Zed
check "2. ... saying the NSS view cannot be written on a full disk" \
	grep -qE "cannot write the NSS view .*No space left on device.*is full" <<<"$ERR"
check "2. ... and leaves no temporary file" no_tmp
# One page free: the first new shard is written, the second is not.
leave_free 4
refused 1 "2. with one page free the edit is refused and changes nothing" user edit u1 --first Zed
check "2. ... and leaves no temporary file" no_tmp
leave_free 64
run 0 "2. the same edit succeeds with 64 KiB free (so the tdb write fitted)" user edit u1 --first Zed
run 0 "2. db check passes" db check
check "2. glibc shows the edit" [ "$(nss_get passwd u1 | cut -d: -f5)" = "Zed Last1" ]
sed -i 's/^u1 u1@example.org First1 /u1 u1@example.org Zed /' "$T/committed"

# 3. 64 KiB free: the view fits, growing accounts.tdb does not.
tries=0
while leave_free 64 && add_user && [ "$tries" -lt 3000 ]; do tries=$((tries + 1)); done
echo "# after $tries more users: $ERR"
check "3. an add fails at the tdb commit" grep -q "cannot commit: no space left on the file system" <<<"$ERR"
check "3. ... exit 1" [ "$RC" = 1 ]
check "3. ... and leaves no temporary file" no_tmp
refused 1 "3. the same add again is refused and changes nothing" "${ARGS[@]}"
run 0 "3. db check passes" db check
check "3. every user committed before is there and whole" all_committed

# 4. Space again.
rm -f "$T/db/filler"
check "4. with the filler gone an add succeeds" add_user
run 0 "4. db check passes" db check
check "4. every user committed is there and whole ($(wc -l <"$T/committed"))" all_committed
check "4. glibc shows exactly the accounts" nss_agrees

[ "$fails" -eq 0 ]
