#!/bin/bash
# test_glibc.sh - libnss_roster.so.2 through glibc's own NSS.
#
# mkview builds a database and its view; glibc then loads the module by
# name, as it would for "passwd: files roster" in nsswitch.conf, from
# LD_LIBRARY_PATH, with ROSTER_NSS_DIR pointing at the view.  Two clients:
# getent_via_glibc (getpwnam, getgrnam, getgrouplist, enumeration) and the
# system's getent(1) with -s roster.
set -u
cd "$(dirname "$0")/../.." || exit 1

n=0 failed=0
ok() { n=$((n + 1)); echo "ok - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok - $1"; }
# same DESCRIPTION GOT WANT
same() {
	if [ "$2" = "$3" ]; then ok "$1"; else
		not_ok "$1"
		printf '#   got:  %s\n#   want: %s\n' "$2" "$3"
	fi
}

for f in tests/nss/mkview tests/nss/getent_via_glibc nss_module/libnss_roster.so.2; do
	[ -e "$f" ] || { not_ok "$f is built"; exit 1; }
done

out=$(./tests/nss/mkview) || { not_ok "mkview builds a view"; exit 1; }
dir=$(awk '$1 == "dir" { print $2 }' <<<"$out")
[ -d "$dir" ] || { not_ok "mkview names its directory"; exit 1; }
trap 'rm -rf "$dir"' EXIT
id_of() { awk -v n="$1" '($1 == "user" || $1 == "group") && $2 == n { print $3 }' <<<"$out"; }

export LD_LIBRARY_PATH=$PWD/nss_module${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export ROSTER_NSS_DIR=$dir/db
get() { ./tests/nss/getent_via_glibc "$@"; }

alice=$(id_of alice) bob=$(id_of bob) devs=$(id_of devs) ops=$(id_of ops) big=$(id_of big)
nusers=$(grep -c '^user ' <<<"$out")
ngroups=$(grep -c '^group ' <<<"$out")

line="alice:x:$alice:$alice:Alice Liddell:/home/alice:/bin/bash"
same "getpwnam(alice)" "$(get passwd alice)" "$line"
same "getpwuid(alice)" "$(get passwd "$alice")" "$line"
same "getpwnam(bob)" "$(get passwd bob)" "bob:x:$bob:$bob:Bob Builder:/home/bob:/bin/bash"
get passwd nosuch >/dev/null
same "getpwnam(nosuch) finds nothing" "$?" 2
get passwd devs >/dev/null
same "a role is not a user" "$?" 2

same "getgrnam(devs)" "$(get group devs)" "devs:x:$devs:alice,bob"
same "getgrgid(ops)" "$(get group "$ops")" "ops:x:$ops:alice"
same "getgrnam(alice), the private group" "$(get group alice)" "alice:x:$alice:"
# 60 long member names: more than glibc's first buffer, so glibc gets
# ERANGE and asks again with a bigger one.
members=$(get group big | cut -d: -f4 | tr ',' '\n')
same "getgrnam(big) after ERANGE: 60 members" "$(wc -l <<<"$members")" 60
same "getgrnam(big): every member" "$(sort <<<"$members")" \
	"$(awk '$1 == "user" && $2 ~ /^member-/ { print $2 }' <<<"$out" | sort)"
same "getgrgid(big)" "$(get group "$big" | cut -d: -f1,3)" "big:$big"

same "getgrouplist(alice)" "$(get groups alice | sort -n | tr '\n' ' ')" \
	"$(printf '%s\n' "$alice" "$devs" "$ops" | sort -n | tr '\n' ' ')"
same "getgrouplist(carol): own group only" "$(get groups carol)" "$(id_of carol)"

users=$(get passwd | cut -d: -f1 | sort)
same "getpwent: every user once" "$users" \
	"$(awk '$1 == "user" { print $2 }' <<<"$out" | sort)"
same "getpwent: $nusers users" "$(wc -l <<<"$users")" "$nusers"
groups=$(get group | cut -d: -f1 | sort)
same "getgrent: every role and private group once" "$groups" \
	"$( (awk '$1 == "user" || $1 == "group" { print $2 }' <<<"$out"; echo roster-admin) | sort)"
same "getgrent: $((nusers + ngroups + 1)) groups" "$(wc -l <<<"$groups")" "$((nusers + ngroups + 1))"

# Under make check SANITIZE=1 the module needs the ASan runtime loaded
# first, which getent(1), not built with it, does not do by itself.
getent() { LD_PRELOAD=${ROSTER_ASAN_PRELOAD:-} command getent "$@"; }
if command -v getent >/dev/null; then
	same "getent -s roster passwd alice" "$(getent -s roster passwd alice)" "$line"
	same "getent -s roster group devs" "$(getent -s roster group devs)" "devs:x:$devs:alice,bob"
	same "getent -s roster initgroups alice" "$(getent -s roster initgroups alice | tr -s ' ')" \
		"alice $devs $ops"
	same "getent -s roster passwd: $nusers users" "$(getent -s roster passwd | wc -l)" "$nusers"
else
	not_ok "getent(1) is installed"
fi

# No view: glibc gets UNAVAIL and finds nothing, and nothing crashes.
ROSTER_NSS_DIR=$dir/nonexistent get passwd alice >/dev/null 2>&1
same "no view: getpwnam finds nothing" "$?" 2

echo "# $n tests, $failed failed"
[ "$failed" -eq 0 ]
