#!/bin/bash
# test_install.sh - `make install` and `make uninstall`, staged and for real.
#
# 1. Staged: `make install DESTDIR=$tmp` puts every file in place with its
#    mode; a second install keeps an edited roster.conf; PREFIX and PAMDIR
#    move what they should; `make uninstall DESTDIR=$tmp` removes the
#    binaries, modules, man pages, completion and pam-auth-update profile
#    but keeps the configuration and /var/lib/roster.
# 2. For real, in a private mount namespace with overlays on /etc, /usr and
#    /var (as test_nss_system.sh does): `make install`, then roster on PATH,
#    man -w, ldconfig, `pam-auth-update --enable roster` (pam_roster before
#    pam_unix in common-auth, -account and -session, common-password left
#    alone, and logins through them with pamtester: a roster user answered
#    by pam_roster, a local user by pam_unix, a local password change),
#    `pam-auth-update --disable roster` (common-* back to what they were),
#    the bash completion, and `make uninstall`.  Back outside,
#    the host must be as it was.
#
# Needs root, make and cc (built tree), unshare(1) and findmnt(1)
# (util-linux), pam-auth-update (libpam-runtime), pamtester, groff and
# man-db (the man checks are skipped without them), and overlayfs and tmpfs
# in the kernel.  Takes a few seconds.
set -u
SELF=$(realpath "$0")
cd "$(dirname "$SELF")/../.." || exit 1

# shellcheck source=tests/system/ns.sh
. "$(dirname "$SELF")/ns.sh"
# mode_of PATH: "MODE USER:GROUP TYPE", or "absent"
mode_of() {
	if [ -e "$1" ]; then stat -c '%a %U:%G %F' "$1"; else echo absent; fi
}

COMMON="common-auth common-account common-password common-session"
CONF_FILES="roster.conf invite.mail welcome.mail"
MANPAGES="man8/roster.8 man8/pam_roster.8 man8/libnss_roster.8 man5/roster.conf.5"

# =====================================================================
# Outside: the staged install, then the namespace, then the host.
# =====================================================================
if [ "${ROSTER_SYSTEST_INNER:-}" != 1 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		not_ok "cannot test the installation: not root (uid $(id -u))"
		exit 1
	fi
	for c in make unshare findmnt pam-auth-update sha256sum; do
		command -v "$c" >/dev/null || { not_ok "$c is installed"; exit 1; }
	done
	triplet=$(${CC:-cc} -print-multiarch 2>/dev/null)
	if [ -z "$triplet" ] || [ ! -d "/usr/lib/$triplet" ]; then
		not_ok "cc -print-multiarch names a directory in /usr/lib (got '$triplet')"
		exit 1
	fi
	LIB=usr/lib/$triplet PAM=usr/lib/$triplet/security
	# Build first, outside: inside the namespace nothing may be written to
	# the tree that the host keeps.
	if ! out=$(make -s all 2>&1); then
		not_ok "make all"
		printf '#   %s\n' "${out//$'\n'/$'\n#   '}"
		exit 1
	fi

	T=$(mktemp -d /tmp/roster-install.XXXXXX) || { not_ok "mktemp"; exit 1; }
	trap 'rm -rf "$T"' EXIT
	trap 'exit 1' HUP INT TERM

	# --- 1. staged: make install DESTDIR
	D=$T/stage
	if out=$(make -s install DESTDIR="$D" 2>&1); then ok "make install DESTDIR=$D"; else
		not_ok "make install DESTDIR=$D"
		printf '#   %s\n' "${out//$'\n'/$'\n#   '}"
	fi
	want() { # want PATH "MODE OWNER TYPE"
		same "installed $1: $2" "$(mode_of "$D/$1")" "$2"
	}
	want usr/sbin/roster "755 root:root regular file"
	want "$PAM/pam_roster.so" "644 root:root regular file"
	want "$LIB/libnss_roster.so.2" "644 root:root regular file"
	for m in $MANPAGES; do want "usr/share/man/$m" "644 root:root regular file"; done
	want usr/share/bash-completion/completions/roster "644 root:root regular file"
	want usr/share/pam-configs/roster "644 root:root regular file"
	want etc/roster "755 root:root directory"
	for f in $CONF_FILES; do want "etc/roster/$f" "644 root:root regular file"; done
	want var/lib/roster "755 root:root directory"
	same "the installed files are the built ones" \
		"$(cmp cli/roster "$D/usr/sbin/roster" && cmp pam_module/pam_roster.so "$D/$PAM/pam_roster.so" &&
			cmp nss_module/libnss_roster.so.2 "$D/$LIB/libnss_roster.so.2" &&
			cmp conf/roster.conf "$D/etc/roster/roster.conf" && echo same)" same
	same "nothing else is installed" \
		"$(cd "$D" && find . \( -type f -o -type l \) | sed 's|^\./||' | sort)" \
		"$( (printf '%s\n' usr/sbin/roster "$PAM/pam_roster.so" "$LIB/libnss_roster.so.2" \
			usr/share/bash-completion/completions/roster usr/share/pam-configs/roster;
			for m in $MANPAGES; do echo "usr/share/man/$m"; done
			for f in $CONF_FILES; do echo "etc/roster/$f"; done) | sort)"
	if command -v groff >/dev/null; then
		for m in $MANPAGES; do
			same "groff -man -ww: $m renders without a warning" \
				"$(groff -man -Tutf8 -ww "$D/usr/share/man/$m" 2>&1 >/dev/null)" ""
		done
	else
		echo "# groff is not installed (groff-base): the man pages are not rendered"
	fi

	# --- a second install keeps the administrator's edits
	echo "# edited by the administrator" >>"$D/etc/roster/roster.conf"
	echo "# edited too" >>"$D/etc/roster/invite.mail"
	chmod 0600 "$D/etc/roster/welcome.mail"
	edited=$(sha256sum "$D"/etc/roster/*)
	if out=$(make -s install DESTDIR="$D" 2>&1); then ok "make install DESTDIR=$D again"; else
		not_ok "make install DESTDIR=$D again"
		printf '#   %s\n' "${out//$'\n'/$'\n#   '}"
	fi
	same "a second install keeps the edited roster.conf and templates" \
		"$(sha256sum "$D"/etc/roster/*)" "$edited"
	same "... and their modes" "$(mode_of "$D/etc/roster/welcome.mail")" "600 root:root regular file"
	same "... and says so" "$(grep -c '^keeping ' <<<"$out")" 3

	# --- make uninstall DESTDIR
	: >"$D/var/lib/roster/accounts.tdb"
	if out=$(make -s uninstall DESTDIR="$D" 2>&1); then ok "make uninstall DESTDIR=$D"; else
		not_ok "make uninstall DESTDIR=$D"
		printf '#   %s\n' "${out//$'\n'/$'\n#   '}"
	fi
	for f in usr/sbin/roster "$PAM/pam_roster.so" "$LIB/libnss_roster.so.2" \
		$(for m in $MANPAGES; do echo "usr/share/man/$m"; done) \
		usr/share/bash-completion/completions/roster usr/share/pam-configs/roster; do
		same "uninstalled: $f" "$(mode_of "$D/$f")" absent
	done
	same "uninstall keeps the configuration" "$(sha256sum "$D"/etc/roster/*)" "$edited"
	same "uninstall keeps /var/lib/roster and the database" \
		"$(mode_of "$D/var/lib/roster"):$(mode_of "$D/var/lib/roster/accounts.tdb")" \
		"755 root:root directory:644 root:root regular empty file"

	# --- PREFIX and PAMDIR
	D2=$T/prefix
	make -s install DESTDIR="$D2" PREFIX=/usr/local PAMDIR=/opt/pam >/dev/null 2>&1
	same "PREFIX=/usr/local PAMDIR=/opt/pam: where the files go" \
		"$(mode_of "$D2/usr/local/sbin/roster"):$(mode_of "$D2/opt/pam/pam_roster.so"):$(mode_of \
			"$D2/usr/local/lib/$triplet/libnss_roster.so.2"):$(mode_of \
			"$D2/usr/local/share/man/man8/roster.8"):$(mode_of "$D2/etc/roster/roster.conf")" \
		"755 root:root regular file:644 root:root regular file:644 root:root regular file:644 root:root regular file:644 root:root regular file"
	make -s uninstall DESTDIR="$D2" PREFIX=/usr/local PAMDIR=/opt/pam >/dev/null 2>&1
	same "... and make uninstall with the same variables removes them" \
		"$(cd "$D2" && find . -type f | sed 's|^\./||' | sort | tr '\n' ' ')" \
		"etc/roster/invite.mail etc/roster/roster.conf etc/roster/welcome.mail "

	# --- 2. for real, in a private mount namespace
	host_state() {
		local f
		for f in /usr/sbin/roster "/usr/lib/$triplet/security/pam_roster.so" \
			"/usr/lib/$triplet/libnss_roster.so.2" /usr/share/man/man8/roster.8 \
			/usr/share/bash-completion/completions/roster /usr/share/pam-configs/roster \
			/etc/roster /var/lib/roster; do
			if [ -e "$f" ] || [ -L "$f" ]; then echo "$f exists"; else echo "$f absent"; fi
		done
		# shellcheck disable=SC2086 # a list of names
		(cd /etc/pam.d && sha256sum $COMMON 2>&1)
		[ -f /etc/ld.so.cache ] && sha256sum /etc/ld.so.cache
		sha256sum /var/lib/pam/* 2>/dev/null
	}
	overlays() { findmnt | grep -c overlay; }
	before=$(host_state)
	overlays_before=$(overlays)
	S=$T/ns
	case "$(realpath "$T")/" in
	/etc/* | /usr/* | /var/*)
		not_ok "cannot create a mount namespace: $T resolves under an overlaid directory"
		exit 1 ;;
	esac
	mkdir "$S" || { not_ok "mkdir $S"; exit 1; }
	if ! err=$(unshare --mount --propagation private true 2>&1); then
		not_ok "cannot create a mount namespace: ${err:-unshare failed}"
		exit 1
	fi
	ROSTER_SYSTEST_INNER=1 ROSTER_SYSTEST_DIR=$S ROSTER_SYSTEST_TRIPLET=$triplet \
		ROSTER_SYSTEST_HOST_NS=$(readlink /proc/self/ns/mnt) \
		timeout -k 5 50 unshare --mount --propagation private bash "$SELF" </dev/null >"$T/log" 2>&1
	rc=$?
	cat "$T/log"
	[ "$rc" -eq 124 ] && not_ok "the test inside the namespace timed out"
	if [ "$rc" -ne 0 ] && ! grep -q '^not ok - ' "$T/log"; then
		not_ok "the test inside the namespace exited with status $rc"
	fi
	n=$((n + $(grep -c '^ok - ' "$T/log")))
	failed=$((failed + $(grep -c '^not ok - ' "$T/log")))

	# --- the host is untouched
	same "host: roster's files, common-*, ld.so.cache and /var/lib/pam as before" \
		"$(host_state)" "$before"
	same "host: as many overlay mounts as before" "$(overlays)" "$overlays_before"
	ns_gone "$T"

	echo "# install: $n checks, $failed failed"
	[ "$failed" -eq 0 ]
	exit
fi

# =====================================================================
# Inside the mount namespace.
# =====================================================================
S=$ROSTER_SYSTEST_DIR
triplet=$ROSTER_SYSTEST_TRIPLET
ns_overlays "$S" "$ROSTER_SYSTEST_HOST_NS" roster-install
ok "private mount namespace with overlays on /etc, /usr and /var"
[ -d /run/nscd ] && mount -t tmpfs none /run/nscd
rm -rf /var/lib/roster /etc/roster
rm -f /usr/share/pam-configs/roster "/usr/lib/$triplet/security/pam_roster.so"
unset ROSTER_CONFIG ROSTER_NSS_DIR LD_LIBRARY_PATH LD_PRELOAD SUDO_USER DESTDIR PREFIX
export PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086 # a list of names
common_sums() { (cd /etc/pam.d && sha256sum $COMMON); }
orig=$(common_sums)

# --- make install, for real
if out=$(make -s install 2>&1); then ok "make install"; else
	not_ok "make install"
	printf '#   %s\n' "${out//$'\n'/$'\n#   '}"
fi
same "roster on PATH is /usr/sbin/roster" "$(command -v roster)" /usr/sbin/roster
same "roster --version" "$(roster --version 2>&1 </dev/null)" "roster $(sed -n 's/^VERSION := //p' Makefile)"
check "pam_roster.so is in the PAM module directory" [ -f "/usr/lib/$triplet/security/pam_roster.so" ]
check "ldconfig knows libnss_roster.so.2" \
	bash -c "ldconfig -p | grep -q 'libnss_roster\.so\.2 (.*) => .*/$triplet/libnss_roster\.so\.2\$'"
if command -v man >/dev/null && [ -x /usr/bin/mandb ]; then
	same "man -w roster" "$(man -w roster 2>&1)" /usr/share/man/man8/roster.8
	same "man -w 5 roster.conf" "$(man -w 5 roster.conf 2>&1)" /usr/share/man/man5/roster.conf.5
	same "man -w pam_roster libnss_roster" "$(man -w pam_roster libnss_roster 2>&1 | tr '\n' ' ')" \
		"/usr/share/man/man8/pam_roster.8 /usr/share/man/man8/libnss_roster.8 "
	same "man roster renders without a warning" \
		"$(MANWIDTH=80 man --warnings roster 2>&1 >/dev/null)" ""
else
	echo "# man-db is not installed: man -w not checked"
fi
# Cheap hashing for the logins below, set in the shipped file itself.
sed -i -e 's/^#opslimit =.*/opslimit = 1/' -e 's/^#memlimit =.*/memlimit = 8192/' /etc/roster/roster.conf
same "the shipped roster.conf works: roster role add analyst" \
	"$(roster role add analyst 2>&1 </dev/null | sed 's/ (gid.*//')" "created role analyst"

# --- roster doctor: red on a machine that is installed but not set up
out=$(roster doctor --json 2>&1 </dev/null)
same "roster doctor is red before setup (exit 1)" "$?" 1
same "... failing nsswitch, the pam stacks and the mail command" \
	"$(jq -r '[.[] | select(.ok == false) | .check] | join(",")' <<<"$out")" \
	"nsswitch passwd,nsswitch group,pam stacks,mail command"

# --- pam-auth-update --enable roster
# line_of FILE MODULE: the number of the first line naming MODULE
line_of() { grep -n "^[^#].*[[:space:]]$2\.so" "/etc/pam.d/$1" | head -1 | cut -d: -f1; }
if out=$(pam-auth-update --enable roster 2>&1 </dev/null); then ok "pam-auth-update --enable roster"; else
	not_ok "pam-auth-update --enable roster"
	printf '#   %s\n' "${out//$'\n'/$'\n#   '}"
fi
# common-password is left alone: pam_roster answers an unknown user before
# asking for the new password, so pam_unix's "use_authtok" (it is not first
# in the stack) would find no password and local users could not change
# theirs.  See man/pam_roster.8, DEBIAN.
for f in common-auth common-account common-session; do
	r=$(line_of "$f" pam_roster) u=$(line_of "$f" pam_unix)
	if [ -n "$r" ] && [ -n "$u" ] && [ "$r" -lt "$u" ]; then
		ok "$f: pam_roster (line $r) before pam_unix (line $u)"
	else
		not_ok "$f: pam_roster (line ${r:-none}) before pam_unix (line ${u:-none})"
		sed 's/^/#   /' "/etc/pam.d/$f"
	fi
done
same "common-password: unchanged (local users keep changing their passwords)" \
	"$(sha256sum </etc/pam.d/common-password)" "$(grep common-password <<<"$orig" | cut -d' ' -f1)  -"
grep -h 'pam_roster' /etc/pam.d/common-* | sed 's/^/#   /'
same "common-auth: pam_roster jumps past pam_unix on success, else goes on" \
	"$(grep -c '^auth[[:space:]]*\[success=[0-9][0-9]* default=ignore\][[:space:]]*pam_roster\.so' /etc/pam.d/common-auth)" 1
same "common-account: success jumps, new_authtok_reqd=done, unknown users go on" \
	"$(grep -c '^account[[:space:]]*\[success=[0-9][0-9]* new_authtok_reqd=done user_unknown=ignore authinfo_unavail=ignore default=die\][[:space:]]*pam_roster\.so' /etc/pam.d/common-account)" 1

# --- the rest of the setup, as README's "Deploying on a machine" says; then
# roster doctor is green
sed -i -E 's/^(passwd|group):([[:space:]]*)files/\1:\2files roster/' /etc/nsswitch.conf
printf '#!/bin/sh\ncat >/dev/null\n' >/usr/local/bin/fake-sendmail && chmod 755 /usr/local/bin/fake-sendmail
sed -i 's|^mail_command = .*|mail_command = /usr/local/bin/fake-sendmail -t -i|' /etc/roster/roster.conf
out=$(roster doctor 2>&1 </dev/null)
same "roster doctor is green after setup (exit 0)" "$?" 0
grep -q "Everything is in place" <<<"$out" || printf '#   %s\n' "${out//$'\n'/$'\n#   '}"

# Logins through the common-* files, as every Debian service has them.
if command -v pamtester >/dev/null; then
	printf '@include common-auth\n@include common-account\n@include common-password\n@include common-session\n' \
		>/etc/pam.d/roster-install
	pt() { # pt INPUT ARGS...: pamtester; status and output in $RC, $OUT
		local input=$1
		shift
		OUT=$(printf '%s' "$input" | timeout 20 pamtester "$@" 2>&1)
		RC=$?
	}
	printf '%s\n' 'roster-pass-1234' | roster user add alice --email alice@example.org \
		--password-stdin >/dev/null 2>&1 || not_ok "roster user add alice"
	useradd -M localu && printf 'localu:local-pass-1234\n' | chpasswd
	same "useradd localu; chpasswd through common-password with roster enabled" "$?" 0
	pt $'roster-pass-1234\n' roster-install alice authenticate acct_mgmt open_session close_session
	same "roster user alice: authenticate, account and session through common-*" "$RC" 0
	[ "$RC" -eq 0 ] || printf '#   %s\n' "${OUT//$'\n'/$'\n#   '}"
	pt $'wrong-pass-12345\n' roster-install alice authenticate
	same "roster user alice: a wrong password fails" "$RC" 1
	pt $'local-pass-1234\n' roster-install localu authenticate acct_mgmt
	same "local user localu: pam_unix still answers" "$RC" 0
	[ "$RC" -eq 0 ] || printf '#   %s\n' "${OUT//$'\n'/$'\n#   '}"
	pt $'wrong-pass-12345\n' roster-install localu authenticate
	same "local user localu: a wrong password fails" "$RC" 1
	pt $'new-local-pass-5678\nnew-local-pass-5678\n' roster-install localu chauthtok
	same "local user localu: chauthtok through common-password (pam_unix)" "$RC" 0
	[ "$RC" -eq 0 ] || printf '#   %s\n' "${OUT//$'\n'/$'\n#   '}"
	# passwd(1) run by the user changes the password through pam_roster,
	# with the line README gives for /etc/pam.d/passwd.
	sed -i 's/^@include common-password/password [success=done user_unknown=ignore default=die] pam_roster.so\n&/' \
		/etc/pam.d/passwd
	if command -v expect >/dev/null; then
		timeout 60 expect -c '
			set timeout 15
			spawn su alice -c passwd
			expect "Current password: " { send "roster-pass-1234\r" } timeout { exit 2 }
			expect "New password: " { send "Pumpkin-Orbit-9731\r" } timeout { exit 3 }
			expect "Retype new password: " { send "Pumpkin-Orbit-9731\r" } timeout { exit 4 }
			expect eof
			catch wait result
			exit [lindex $result 3]' >/dev/null 2>&1 </dev/null
		same "alice runs passwd (su alice -c passwd): her password changes through pam_roster" "$?" 0
		pt $'Pumpkin-Orbit-9731\n' roster-install alice authenticate
		same "alice's new password works" "$RC" 0
		pt $'roster-pass-1234\n' roster-install alice authenticate
		same "alice's old password does not" "$RC" 1
		same "history: password.change by alice" \
			"$(roster user history alice --json </dev/null | jq -r '.[-1] | "\(.action) \(.actor)"')" "password.change alice"
	else
		echo "# expect is not installed: passwd by the user not checked"
	fi
	roster user disable alice >/dev/null 2>&1 </dev/null
	pt $'Pumpkin-Orbit-9731\n' roster-install alice authenticate
	same "a disabled roster user fails" "$RC" 1
	pt '' roster-install alice acct_mgmt
	same "a disabled roster user fails account too (SSH keys)" "$RC" 1
	userdel localu
	rm -f /etc/pam.d/roster-install
else
	echo "# pamtester is not installed: no logins through common-*"
fi

# --- an upgrade over a view of another version: the new module reads none
# of it (version 2's files, shard.000 to shard.255, are not names it looks
# for: a version 2 stamp and no shard.NNNN file), and make install
# rebuilds it at once
view_version=$(sed -n 's/^#define VIEW_VERSION //p' lib/view.h)
same "getent group analyst, through roster" "$(getent group analyst | cut -d: -f1)" analyst
for f in /var/lib/roster/view/shard.[0-9][0-9][0-9][0-9]; do mv "$f" "${f%.*}.$(printf '%03d' $((10#${f##*.} % 256)))"; done
sed -i "1s/^roster-view $view_version /roster-view 2 /" /var/lib/roster/view/generation
same "a view of version 2: the module does not answer from it" \
	"$(getent group analyst >/dev/null; echo $?)" 2
out=$(make -s install 2>&1)
same "make install over it runs db check --repair" "$(grep -c 'roster db check --repair' <<<"$out")" 1
same "... which stamps the view with this version" \
	"$(cut -d' ' -f1-2 /var/lib/roster/view/generation)" "roster-view $view_version"
same "... and getent group analyst answers again" "$(getent group analyst | cut -d: -f1)" analyst
same "... from version $view_version's files alone" \
	"$(ls /var/lib/roster/view | grep -c -v -x -E 'shard\.[0-9]{4}|generation')" 0
out=$(make -s install 2>&1)
same "make install over a view of this version leaves it alone" "$(grep -c 'db check' <<<"$out")" 0

# --- pam-auth-update --disable roster
if out=$(pam-auth-update --disable roster 2>&1 </dev/null); then ok "pam-auth-update --disable roster"; else
	not_ok "pam-auth-update --disable roster"
	printf '#   %s\n' "${out//$'\n'/$'\n#   '}"
fi
same "common-* are back to what they were" "$(common_sums)" "$orig"

# --- bash completion
COMP=/usr/share/bash-completion/completions/roster
# comp WORD...: what the completion offers for the last word, sorted
comp() {
	bash --norc --noprofile -c 'source "$1" || exit 1; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_roster; [ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' comp "$COMP" "$@" 2>&1
}
same "completion: roster us<TAB>" "$(comp roster us)" "user "
same "completion: roster user <TAB>" "$(comp roster user '')" \
	"$(printf '%s\n' add show list edit passwd history unlock enable disable delete | sort | tr '\n' ' ')"
same "completion: roster --<TAB>" "$(comp roster --)" "--config --help --json --version "
same "completion: roster --json --config /x us<TAB>" "$(comp roster --json --config /x us)" "user "
# Every command of roster --help, and every option of its own --help.
help=$(roster --help 2>&1 </dev/null)
cmds=$(sed -n '/^commands:/,/^$/ { s/^  \([a-z]\+\) \+\([a-z]\+\)  .*/\1 \2/p; s/^  \([a-z]\+\) \{4,\}[a-z].*/\1/p; }' <<<"$help" |
	sed 's/ \+/ /')
bad=
while read -r c; do
	[[ " $(comp roster "${c:0:2}")" == *" $c "* ]] || bad+=" roster ${c:0:2}<TAB>:$c"
done < <(cut -d' ' -f1 <<<"$cmds" | sort -u)
same "completion: every noun of roster --help ($(cut -d' ' -f1 <<<"$cmds" | sort -u | tr '\n' ' '))" "$bad" ""
bad='' nopt=0
while read -r noun verb; do
	if [ -n "$verb" ]; then
		[[ " $(comp roster "$noun" '')" == *" $verb "* ]] || bad+=" roster $noun <TAB>:$verb"
	fi
	offered=" $(comp roster "$noun" ${verb:+"$verb"} --)"
	for o in $(roster "$noun" ${verb:+"$verb"} --help 2>&1 </dev/null | grep -o -- '--[a-z][-a-z]*' | sort -u); do
		nopt=$((nopt + 1))
		[[ $offered == *" $o "* ]] || bad+=" roster $noun $verb --<TAB>:$o"
	done
done <<<"$cmds"
same "completion: every verb, and each command's $nopt options from its --help ($(wc -l <<<"$cmds") commands)" \
	"$bad" ""
same "completion: roster user add --<TAB> has no option of another command" \
	"$(comp roster user add --no)" "--notify "
roster user enable alice >/dev/null 2>&1 </dev/null
roster user add bob --email bob@example.org >/dev/null 2>&1 </dev/null
same "completion as root: roster user show <TAB> offers the users" "$(comp roster user show '')" "alice bob "
same "completion as root: roster role assign <TAB> offers the roles" "$(comp roster role assign '')" \
	"analyst roster-admin "
same "completion as root: roster role assign analyst <TAB> offers the users" \
	"$(comp roster role assign analyst '')" "alice bob "
same "completion as root: roster user list --status <TAB>" "$(comp roster user list --status '')" \
	"active disabled invited "
same "completion as root: roster user add x --role a<TAB>" "$(comp roster user add x --role a)" "analyst "
same "completion: roster user show alice <TAB> offers nothing more" "$(comp roster user show alice '')" ""
# A stand-in roster that would offer a name: the completion must not ask it.
# shellcheck disable=SC2016 # expanded by the inner bash
same "completion as uid 65534: roster user show <TAB> offers nothing" \
	"$(setpriv --reuid=65534 --regid=65534 --clear-groups bash --norc --noprofile -c \
		'source "$1"; roster() { echo "    \"name\": \"leak\","; }
		COMP_WORDS=(roster user show ""); COMP_CWORD=3; _roster; echo "${COMPREPLY[*]}"' comp "$COMP" 2>&1)" ""

# --- make uninstall, for real, with the profile enabled
pam-auth-update --enable roster >/dev/null 2>&1 </dev/null
check "the profile is enabled again" grep -q pam_roster /etc/pam.d/common-auth
if out=$(make -s uninstall 2>&1); then ok "make uninstall"; else
	not_ok "make uninstall"
	printf '#   %s\n' "${out//$'\n'/$'\n#   '}"
fi
same "make uninstall takes roster out of common-* first" "$(common_sums)" "$orig"
same "make uninstall: no roster, pam_roster.so, libnss_roster.so.2, man page, completion or profile" \
	"$(for f in /usr/sbin/roster "/usr/lib/$triplet/security/pam_roster.so" \
		"/usr/lib/$triplet/libnss_roster.so.2" /usr/share/man/man8/roster.8 "$COMP" \
		/usr/share/pam-configs/roster; do [ -e "$f" ] && echo "$f"; done)" ""
same "make uninstall keeps /etc/roster/roster.conf and the database" \
	"$(mode_of /etc/roster/roster.conf):$(mode_of /var/lib/roster/accounts.tdb)" \
	"644 root:root regular file:600 root:root regular file"
check "ldconfig forgets libnss_roster.so.2" bash -c "! ldconfig -p | grep -q libnss_roster"

echo "# inside: $n checks, $failed failed"
[ "$failed" -eq 0 ]
