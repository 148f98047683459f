#!/bin/bash
# test_nss_system.sh - roster installed for real, seen by the machine's own
# programs.
#
# The script re-executes itself in a private mount namespace, lays overlays
# (upper layers in a fresh tmpfs) over /etc, /usr and /var, and inside them
# installs libnss_roster.so.2 into the multiarch directory, cli/roster into
# /usr/sbin, adds "roster" after "files" in nsswitch.conf and writes
# /etc/roster/roster.conf.  The real CLI then creates roles and users in
# the default database (/var/lib/roster), and the real clients - getent, id,
# stat, ls, find, setpriv - must see them, with no ROSTER_NSS_DIR and no
# LD_LIBRARY_PATH.  Back outside, the host's /etc, /usr and /var must be as
# they were.
#
# Needs root, unshare(1), setpriv(1) and runuser(1) (util-linux), getent
# (libc-bin), jq, gcc (for the multiarch triplet), and overlayfs and tmpfs in
# the kernel.  Run after `make all`.  Takes about two seconds.
set -u
SELF=$(realpath "$0")
cd "$(dirname "$SELF")/../.." || exit 1

# shellcheck source=tests/system/ns.sh
. "$(dirname "$SELF")/ns.sh"

# =====================================================================
# Outside: prepare, re-execute in a mount namespace, verify the host.
# =====================================================================
if [ "${ROSTER_SYSTEST_INNER:-}" != 1 ]; then
	# The host's state that nothing may change.
	host_state() {
		local f
		sha256sum /etc/nsswitch.conf 2>&1
		for f in "/usr/lib/$triplet/libnss_roster.so.2" /usr/sbin/roster /etc/roster /var/lib/roster; do
			if [ -e "$f" ] || [ -L "$f" ]; then echo "$f exists"; else echo "$f absent"; fi
		done
		[ -f /etc/ld.so.cache ] && sha256sum /etc/ld.so.cache
		getent passwd alice bob carol
		getent group analyst ops
	}
	overlays() { findmnt | grep -c overlay; }

	if [ "$(id -u)" -ne 0 ]; then
		not_ok "cannot create a mount namespace: not root (uid $(id -u))"
		exit 1
	fi
	for f in cli/roster nss_module/libnss_roster.so.2; do
		[ -x "$f" ] || { not_ok "$f is built (run make all)"; exit 1; }
	done
	for c in unshare setpriv runuser getent jq findmnt; do
		command -v "$c" >/dev/null || { not_ok "$c is installed"; exit 1; }
	done
	triplet=$(gcc -print-multiarch 2>/dev/null)
	if [ -z "$triplet" ] || [ ! -d "/usr/lib/$triplet" ]; then
		not_ok "gcc -print-multiarch names a directory in /usr/lib (got '$triplet')"
		exit 1
	fi

	before=$(host_state)
	overlays_before=$(overlays)
	S=$(mktemp -d /tmp/roster-system.XXXXXX) || { not_ok "mktemp"; exit 1; }
	trap 'rm -rf "$S"' EXIT
	trap 'exit 1' HUP INT TERM
	# The upper layers must not live under a directory that gets overlaid.
	case "$(realpath "$S")/" in
	/etc/* | /usr/* | /var/*)
		not_ok "cannot create a mount namespace: $S resolves under an overlaid directory"
		exit 1 ;;
	esac
	# Unprivileged processes inside run a program from $S/ns.
	if ! chmod 0711 "$S" || ! mkdir "$S/ns"; then not_ok "prepare $S"; exit 1; fi

	if ! err=$(unshare --mount --propagation private true 2>&1); then
		not_ok "cannot create a mount namespace: ${err:-unshare failed}"
		exit 1
	fi
	# Everything inside is bounded: a hung client must not hang the run.
	# When the namespace's last process exits, its mounts go with it.
	ROSTER_SYSTEST_INNER=1 ROSTER_SYSTEST_DIR=$S/ns ROSTER_SYSTEST_TRIPLET=$triplet \
		ROSTER_SYSTEST_HOST_NS=$(readlink /proc/self/ns/mnt) \
		timeout -k 5 60 unshare --mount --propagation private bash "$SELF" </dev/null >"$S/log" 2>&1
	rc=$?
	cat "$S/log"
	[ "$rc" -eq 124 ] && echo "not ok - the test inside the namespace timed out"
	n=$(grep -c '^ok - ' "$S/log")
	failed=$(grep -c '^not ok - ' "$S/log")
	if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
		not_ok "the test inside the namespace exited with status $rc"
	fi

	# --- the host is untouched
	same "host: nsswitch.conf, ld.so.cache, module, CLI, /etc/roster, /var/lib/roster, lookups as before" \
		"$(host_state)" "$before"
	same "host: as many overlay mounts as before" "$(overlays)" "$overlays_before"
	ns_gone "$S"

	echo "# system: $n checks, $failed failed"
	[ "$failed" -eq 0 ]
	exit
fi

# =====================================================================
# Inside the mount namespace.
# =====================================================================
S=$ROSTER_SYSTEST_DIR
triplet=$ROSTER_SYSTEST_TRIPLET
ns_overlays "$S" "$ROSTER_SYSTEST_HOST_NS" roster-system
ok "private mount namespace with overlays on /etc, /usr and /var"
# A running nscd would answer from the host's configuration, not ours.
[ -d /run/nscd ] && mount -t tmpfs none /run/nscd

# Whatever roster the host may have is not ours to use (the overlay hides
# it; the host keeps it).
rm -rf /var/lib/roster /etc/roster

# --- install, as a package would
NSS_LIB=/usr/lib/$triplet/libnss_roster.so.2
check "install the module as $NSS_LIB" install -m 0644 nss_module/libnss_roster.so.2 "$NSS_LIB"
check "install the CLI as /usr/sbin/roster" install -m 0755 cli/roster /usr/sbin/roster
ldconfig
# /lib may be a link to usr/lib: ldconfig names either.
check "ldconfig knows libnss_roster.so.2" \
	bash -c "ldconfig -p | grep -q 'libnss_roster\.so\.2 (.*) => .*/$triplet/libnss_roster\.so\.2\$'"
# "roster" right after "files" on the passwd and group lines, the rest kept.
sed -E -i -e '/^(passwd|group):/ s/[[:space:]]+roster([[:space:]]|$)/\1/g' \
	-e 's/^((passwd|group):[[:space:]]+(.*[[:space:]])?files)([[:space:]]|$)/\1 roster\4/' /etc/nsswitch.conf
check "nsswitch.conf: passwd has roster after files" grep -Eq '^passwd:.*\<files roster\>' /etc/nsswitch.conf
check "nsswitch.conf: group has roster after files" grep -Eq '^group:.*\<files roster\>' /etc/nsswitch.conf
grep -E '^(passwd|group):' /etc/nsswitch.conf | sed 's/^/#   /'
mkdir -p /etc/roster
cat >/etc/roster/roster.conf <<'CONF'
# written by tests/system/test_nss_system.sh: cheap hashing, defaults otherwise
[passwords]
opslimit = 1
memlimit = 8192
CONF
unset ROSTER_CONFIG ROSTER_NSS_DIR LD_LIBRARY_PATH LD_PRELOAD SUDO_USER
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
[ "$(command -v roster)" = /usr/sbin/roster ] || not_ok "roster on PATH is /usr/sbin/roster"

# --- installed, but no database yet: roster finds nothing, quietly
check "no /var/lib/roster yet" [ ! -e /var/lib/roster ]
out=$(getent passwd alice 2>"$S/err")
same "no database: getent passwd alice exits 2, silently" "$?:$out:$(cat "$S/err")" "2::"
same "no database: getent passwd root" "$(getent passwd root 2>&1)" "$(grep '^root:' /etc/passwd)"

# --- the real CLI fills the default database
mk() { # mk DESCRIPTION ARGS...: roster ARGS succeeds
	local d=$1 out
	shift
	if out=$(roster "$@" 2>&1 </dev/null); then ok "$d"; else
		not_ok "$d"
		printf '#   %s\n' "$out"
	fi
}
mk "roster role add analyst" role add analyst --description "Data analysts"
mk "roster role add ops" role add ops --description "Operations"
mk "roster user add alice (analyst, ops)" user add alice --email alice@example.org \
	--first Alice --last Liddell --role analyst --role ops
mk "roster user add bob (analyst)" user add bob --email bob@example.org \
	--first Bob --last Builder --role analyst
mk "roster user add carol --inactive" user add carol --email carol@example.org --inactive
check "the database is /var/lib/roster/accounts.tdb" [ -f /var/lib/roster/accounts.tdb ]

uid_of() { roster --json user show "$1" </dev/null | jq -r .uid; }
gid_of() { roster --json user show "$1" </dev/null | jq -r .gid; }
role_gid() { roster --json role show "$1" </dev/null | jq -r .gid; }
A=$(uid_of alice) AG=$(gid_of alice) B=$(uid_of bob) C=$(uid_of carol)
GAN=$(role_gid analyst) GOPS=$(role_gid ops)
for v in "$A" "$AG" "$B" "$C" "$GAN" "$GOPS"; do
	[[ $v =~ ^[0-9]+$ ]] || { not_ok "roster --json gives the ids (got '$v')"; break; }
done
echo "# alice=$A/$AG bob=$B carol=$C analyst=$GAN ops=$GOPS"
sorted() { tr ' ,' '\n' | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//'; }

# --- lookups through the machine's own clients
alice_line="alice:x:$A:$AG:Alice Liddell:/home/alice:/bin/bash"
same "getent passwd alice" "$(getent passwd alice)" "$alice_line"
same "getent passwd $A (by uid)" "$(getent passwd "$A")" "$alice_line"
same "getent passwd bob" "$(getent passwd bob)" "bob:x:$B:$B:Bob Builder:/home/bob:/bin/bash"
same "getent passwd carol: a disabled user still resolves" "$(getent passwd carol)" \
	"carol:x:$C:$C::/home/carol:/bin/bash"
out=$(getent passwd nosuch 2>&1)
same "getent passwd nosuch exits 2" "$?" 2
same "... and prints nothing" "$out" ""
out=$(getent passwd analyst 2>&1)
same "a role is not a user: getent passwd analyst exits 2" "$?" 2

an=$(getent group analyst)
same "getent group analyst: name, gid" "$(cut -d: -f1-3 <<<"$an")" "analyst:x:$GAN"
same "getent group analyst: members alice, bob" "$(cut -d: -f4 <<<"$an" | sorted)" "alice bob"
same "getent group $GAN (by gid)" "$(getent group "$GAN")" "$an"
same "getent group ops" "$(getent group ops)" "ops:x:$GOPS:alice"
same "getent group alice: the private group" "$(getent group alice)" "alice:x:$AG:"
same "getent group $AG (by gid)" "$(getent group "$AG")" "alice:x:$AG:"

# id(1) takes the supplementary groups from getgrouplist: initgroups
# through the module.
idl=$(id alice)
same "id alice: uid and gid" "${idl%% groups=*}" "uid=$A(alice) gid=$AG(alice)"
same "id alice: groups" "$(sorted <<<"${idl#* groups=}")" \
	"$(printf '%s\n' "$AG(alice)" "$GAN(analyst)" "$GOPS(ops)" | sorted)"
same "id -Gn alice" "$(id -Gn alice | sorted)" "alice analyst ops"
same "id -Gn bob" "$(id -Gn bob | sorted)" "analyst bob"
same "id -Gn carol: her own group only" "$(id -Gn carol)" "carol"
same "getent initgroups alice" "$(getent initgroups alice | sorted)" \
	"$(printf '%s\n' alice "$GAN" "$GOPS" | sorted)"
# setpriv and runuser resolve the names and call initgroups(3) themselves.
same "setpriv --reuid=alice --init-groups: the process is alice with her groups" \
	"$(setpriv --reuid=alice --regid=alice --init-groups sh -c 'id -un; id -G' 2>&1 | sorted)" \
	"$(printf '%s\n' alice "$AG" "$GAN" "$GOPS" | sorted)"
same "runuser -u bob -- id: bob with his groups" "$(runuser -u bob -- id 2>&1 </dev/null)" \
	"uid=$B(bob) gid=$B(bob) groups=$B(bob),$GAN(analyst)"

# --- file ownership shown by name
mkdir "$S/files" && touch "$S/files/x" "$S/files/y"
chown "$A:$AG" "$S/files/x"
chown "$B:$GAN" "$S/files/y"
same "stat -c %U:%G on a file owned by alice's ids" "$(stat -c %U:%G "$S/files/x")" alice:alice
same "stat -c %U:%G: bob, group analyst" "$(stat -c %U:%G "$S/files/y")" bob:analyst
# shellcheck disable=SC2012 # ls(1) is the client under test
same "ls -l shows alice alice" "$(ls -l "$S/files/x" | awk '{ print $3, $4 }')" "alice alice"
same "find -user alice" "$(find "$S/files" -user alice)" "$S/files/x"
same "find -group analyst" "$(find "$S/files" -group analyst)" "$S/files/y"
same "chown by name: chown carol:ops" \
	"$(chown carol:ops "$S/files/y" 2>&1 && stat -c %u:%g "$S/files/y")" "$C:$GOPS"

# --- changes are visible at once, no restart
mk "roster user edit alice --first Alicia" user edit alice --first Alicia
alice_line="alice:x:$A:$AG:Alicia Liddell:/home/alice:/bin/bash"
same "the next getent passwd alice shows Alicia" "$(getent passwd alice)" "$alice_line"
mk "roster role assign ops bob" role assign ops bob
same "id -Gn bob shows ops at once" "$(id -Gn bob | sorted)" "analyst bob ops"
same "getent group ops lists alice, bob" "$(getent group ops | cut -d: -f4 | sorted)" "alice bob"
# A long-lived process keeps the module and its mappings loaded: it too
# must see a write at once, not after a cache expires.
same "one perl process: getpwnam(bob), roster user edit bob --last Marley, getpwnam(bob)" \
	"$(perl -e 'my @a = getpwnam("bob"); system("roster user edit bob --last Marley >/dev/null 2>&1") == 0 or die "edit";
		my @b = getpwnam("bob"); print "$a[6] -> $b[6]\n"' 2>&1 </dev/null)" "Bob Builder -> Bob Marley"
same "one perl process: getgrnam(analyst), roster role revoke analyst bob, getgrnam(analyst)" \
	"$(perl -e 'my @a = getgrnam("analyst"); system("roster role revoke analyst bob >/dev/null 2>&1") == 0 or die "revoke";
		my @b = getgrnam("analyst"); print join(",", sort split / /, $a[3]), " -> $b[3]\n"' 2>&1 </dev/null)" \
	"alice,bob -> alice"
mk "roster role assign analyst bob (back)" role assign analyst bob

# --- enumeration: files first, then roster
pw=$(getent passwd)
same "getent passwd: root as in /etc/passwd" "$(grep -m1 '^root:' <<<"$pw")" "$(grep '^root:' /etc/passwd)"
same "getent passwd: alice, bob, carol once each" \
	"$(cut -d: -f1 <<<"$pw" | grep -xE 'alice|bob|carol' | sorted)" "alice bob carol"
same "getent passwd: every /etc/passwd entry comes before the roster users" \
	"$(head -n "$(grep -c '^[^#]' /etc/passwd)" <<<"$pw" | cut -d: -f1 | sorted)" \
	"$(grep '^[^#]' /etc/passwd | cut -d: -f1 | sorted)"
gr=$(getent group)
same "getent group: root, analyst, ops, alice" \
	"$(cut -d: -f1 <<<"$gr" | grep -xE 'root|analyst|ops|alice' | sorted)" "alice analyst ops root"
same "getent group: analyst's entry" "$(grep '^analyst:' <<<"$gr" | cut -d: -f1-3)" "analyst:x:$GAN"

# --- the shadow tools see roster's names and ids through NSS
out=$(useradd -M alice 2>&1)
same "useradd alice refuses: the name is taken (exit 9)" "$?" 9
out=$(groupadd analyst 2>&1)
same "groupadd analyst refuses: the name is taken (exit 9)" "$?" 9
out=$(useradd -M -u "$A" dave 2>&1)
same "useradd -u $A refuses: the uid is taken (exit 4)" "$?" 4
out=$(groupadd -g "$GOPS" grp 2>&1)
same "groupadd -g $GOPS refuses: the gid is taken (exit 4)" "$?" 4

# --- the module keeps no descriptor open in the process it is loaded into
# (perl-base is essential in Debian)
same "perl: getpwnam, getgrnam, getpwuid leave no new fd behind" \
	"$(perl -e 'sub fds { opendir(my $d, "/proc/self/fd") or die; my @f = sort grep { !/^\./ } readdir $d; "@f" }
		my $before = fds(); my @p = getpwnam("alice"); my @g = getgrnam("analyst");
		my @u = getpwuid('"$B"'); print((fds() eq $before ? "same" : "$before -> " . fds()), " $p[0] $g[0] $u[0]\n")' 2>&1)" \
	"same alice analyst bob"

# --- an unprivileged process: the view is world-readable, accounts.tdb not
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
same "as uid 65534: getent passwd alice" "$(nobody getent passwd alice 2>&1)" "$alice_line"
same "as uid 65534: id -Gn alice" "$(nobody id -Gn alice 2>&1 | sorted)" "alice analyst ops"
nobody cat /var/lib/roster/accounts.tdb >"$S/stolen" 2>"$S/err"
rc=$?
check "as uid 65534: cat accounts.tdb fails ($(cat "$S/err"))" [ "$rc" -ne 0 ]
same "... and reads nothing" "$(stat -c %s "$S/stolen")" 0
same "accounts.tdb is 0600 root:root" "$(stat -c %a:%U:%G /var/lib/roster/accounts.tdb)" 600:root:root

# ROSTER_NSS_DIR is for tests: honoured in an ordinary process, ignored in
# a setuid one (secure_getenv), where it would let a user forge accounts.
out=$(ROSTER_NSS_DIR=/nonexistent nobody getent passwd alice 2>&1)
same "as uid 65534, ROSTER_NSS_DIR=/nonexistent: getent passwd alice exits 2" "$?:$out" "2:"
cp /usr/bin/getent "$S/files/getent-setuid" && chmod 4755 "$S/files/getent-setuid"
check "as uid 65534: the setuid copy of getent is reachable" \
	nobody sh -c "test -x '$S/files/getent-setuid'"
same "... but a setuid-root getent ignores ROSTER_NSS_DIR" \
	"$(ROSTER_NSS_DIR=/nonexistent nobody "$S/files/getent-setuid" passwd alice 2>&1)" "$alice_line"

# --- the module on its own
same "getent -s roster passwd alice" "$(getent -s roster passwd alice)" "$alice_line"
same "getent -s roster group analyst" "$(getent -s roster group analyst)" "$an"
getent -s roster passwd root >/dev/null 2>&1
same "getent -s roster passwd root exits 2: roster knows only its own" "$?" 2

# --- no view: roster answers nothing, quietly; files still answers
if mv /var/lib/roster/view /var/lib/roster/view.away; then
	out=$(getent passwd alice 2>"$S/err")
	same "no view: getent passwd alice exits 2" "$?" 2
	same "no view: ... prints nothing" "$out" ""
	same "no view: ... and nothing on stderr" "$(cat "$S/err")" ""
	out=$(getent group analyst 2>"$S/err")
	same "no view: getent group analyst exits 2, silently" "$?:$out:$(cat "$S/err")" "2::"
	out=$(id -G root 2>"$S/err")
	same "no view: id -G root (initgroups) still works" "$?:$(cat "$S/err")" "0:"
	same "no view: getent passwd root still works" "$(getent passwd root 2>&1)" \
		"$(grep '^root:' /etc/passwd)"
	out=$(getent passwd 2>"$S/err")
	same "no view: getent passwd enumerates /etc/passwd, silently" \
		"$?:$(cut -d: -f1 <<<"$out" | grep -cxE 'root|alice|bob|carol'):$(cat "$S/err")" "0:1:"
	mv /var/lib/roster/view.away /var/lib/roster/view
	same "view restored: getent passwd alice again" "$(getent passwd alice 2>&1)" "$alice_line"
else
	not_ok "move the view away"
fi

# --- nscd: a change tells it to drop its passwd and group caches.  A
# stand-in nscd records its arguments; /run gets a tmpfs of its own so
# that the socket roster looks for never touches the host's /run.
if mount -t tmpfs -o mode=0755 roster-run /run; then
	mkdir -p /run/nscd && : >/run/nscd/socket
	[ -e /usr/sbin/nscd ] && mv /usr/sbin/nscd /usr/sbin/nscd.real
	printf '#!/bin/sh\necho "$*" >>/run/nscd/calls\n' >/usr/sbin/nscd
	chmod 755 /usr/sbin/nscd
	roster user edit carol --last Danvers </dev/null >/dev/null
	same "a change invalidates nscd's passwd and group caches" \
		"$(sort /run/nscd/calls 2>/dev/null | tr '\n' ' ')" "-i group -i passwd "
	: >/run/nscd/calls
	roster user show carol </dev/null >/dev/null
	same "a read-only command leaves nscd alone" "$(cat /run/nscd/calls)" ""
	rm -f /usr/sbin/nscd
	[ -e /usr/sbin/nscd.real ] && mv /usr/sbin/nscd.real /usr/sbin/nscd
	rm -f /run/nscd/socket
	roster user edit carol --last Marvel </dev/null >/dev/null
	same "without nscd running, nothing is called" "$(cat /run/nscd/calls)" ""
	umount /run
else
	not_ok "mount a private /run for the nscd check"
fi

echo "# inside: $n checks, $failed failed"
[ "$failed" -eq 0 ]
