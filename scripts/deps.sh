#!/bin/sh
# Install the Debian packages roster needs to build, test and demo, but
# only the ones that are missing: a machine that has them all is left alone
# and no network is touched.  Usage: scripts/deps.sh [build|check|demo|bench|fuzz]
set -eu

build="build-essential pkg-config libtdb-dev libsodium-dev uuid-dev
       libinih-dev libpwquality-dev libjansson-dev libpam0g-dev libcsv-dev libcrypt-dev"
# make fuzz (clang, and its libFuzzer, which libclang-rt-14-dev holds) and
# make valgrind; make check SANITIZE=1 needs only gcc's libasan and
# libubsan, which build-essential brings.  Part of check, so that CI, which
# runs all three, has them.
qa="clang libclang-rt-14-dev valgrind"
check="$build libcmocka-dev tdb-tools libpam-wrapper libpamtest0-dev
       libnss-wrapper pamtester util-linux passwd login jq bc procps expect
       openssh-server openssh-client sshpass iproute2 groff-base man-db libpam-runtime
       $qa"
demo="$check"
bench="$check libnss-db time"
fuzz="$build $qa"

case "${1:-check}" in
build) want=$build ;;
check) want=$check ;;
demo)  want=$demo ;;
bench) want=$bench ;;
fuzz)  want=$fuzz ;;
*) echo "usage: $0 [build|check|demo|bench|fuzz]" >&2; exit 2 ;;
esac

missing=
for p in $want; do
	# dpkg-query knows "install ok installed" only for fully set-up packages.
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$s" = "install ok installed" ] || missing="$missing $p"
done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "roster: missing Debian packages:$missing" >&2
	echo "roster: run this as root, or: apt-get install$missing" >&2
	exit 1
fi
echo "roster: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# The tests start their own sshd in a private namespace: installing
# openssh-server must not start one on the host.  policy-rc.d is Debian's
# switch for that; it is removed again unless it was already there.
rc=/usr/sbin/policy-rc.d
made_rc=
if [ ! -e "$rc" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$rc" && chmod 755 "$rc" && made_rc=1
fi
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null || status=$?
[ -z "$made_rc" ] || rm -f "$rc"
exit "${status:-0}"
