#!/bin/bash
# test_sshd.sh - an invitation redeemed over ssh, and the logins after it,
# against the machine's own OpenSSH server with pam_roster in its PAM stack.
#
# The script re-executes itself in a private mount namespace, lays overlays
# (upper layers in a fresh tmpfs) over /etc, /usr and /var and private
# tmpfs mounts over /run (sshd's privilege separation directory) and /home,
# and inside them installs libnss_roster.so.2, pam_roster.so (into the
# security directory next to the libpam it links), cli/roster,
# /etc/roster/roster.conf (whose mail command keeps each message), and the
# /etc/pam.d/sshd and /etc/pam.d/passwd below.  It starts /usr/sbin/sshd on
# 127.0.0.1 on a free port with a fresh host key, which the client pins.
# Then, as real invitees would: the code is read from the mail, typed at
# the password prompt over keyboard-interactive, typed again as the current
# password, and a new password chosen twice (expect); the new password logs
# in (sshpass), the code and a wrong password do not, and an SSH key does
# not let an invited account in.  A second invitee redeems with password
# authentication and a terminal, where sshd runs passwd(1).  A local user
# still logs in through Debian's own stack.  Back outside, the host must be
# as it was, with no sshd of ours left.
#
# Needs root, unshare(1) and findmnt(1) (util-linux), openssh-server,
# openssh-client, sshpass, expect, jq, ss (iproute2),
# useradd and chpasswd (passwd), gcc (for the multiarch triplet), and
# overlayfs and tmpfs in the kernel.  Run after `make all`.  Takes under
# ten seconds.
set -u
SELF=$(realpath "$0")
cd "$(dirname "$SELF")/../.." || exit 1

# shellcheck source=tests/system/ns.sh
. "$(dirname "$SELF")/ns.sh"

# =====================================================================
# Outside: prepare, re-execute in a mount namespace, verify the host.
# =====================================================================
if [ "${ROSTER_SSHTEST_INNER:-}" != 1 ]; then
	host_state() {
		local f
		for f in /etc/nsswitch.conf /etc/pam.d/sshd /etc/pam.d/passwd /etc/passwd /etc/shadow /etc/group \
			/etc/ld.so.cache; do
			sha256sum "$f" 2>&1
		done
		for f in "$secdir/pam_roster.so" "/usr/lib/$triplet/libnss_roster.so.2" /usr/sbin/roster \
			/etc/roster /var/lib/roster /home/newbie /home/keyuser /home/localuser /root/.ssh; do
			if [ -e "$f" ] || [ -L "$f" ]; then echo "$f exists"; else echo "$f absent"; fi
		done
		getent passwd newbie keyuser localuser
		getent group analyst
	}
	overlays() { findmnt | grep -c overlay; }

	if [ "$(id -u)" -ne 0 ]; then
		not_ok "cannot create a mount namespace: not root (uid $(id -u))"
		exit 1
	fi
	for f in cli/roster nss_module/libnss_roster.so.2 pam_module/pam_roster.so conf/invite.mail; do
		[ -e "$f" ] || { not_ok "$f is built (run make all)"; exit 1; }
	done
	for c in unshare findmnt getent jq ssh ssh-keygen sshpass expect timeout ss useradd chpasswd; do
		command -v "$c" >/dev/null || { not_ok "$c is installed"; exit 1; }
	done
	[ -x /usr/sbin/sshd ] || { not_ok "/usr/sbin/sshd is installed (openssh-server)"; exit 1; }
	triplet=$(gcc -print-multiarch 2>/dev/null)
	if [ -z "$triplet" ] || [ ! -d "/usr/lib/$triplet" ]; then
		not_ok "gcc -print-multiarch names a directory in /usr/lib (got '$triplet')"
		exit 1
	fi
	# PAM modules live in security/ next to the libpam that pam_roster links.
	libpam=$(ldd pam_module/pam_roster.so | sed -n 's/^[[:space:]]*libpam\.so\.0 => \([^ ]*\) .*/\1/p')
	secdir=$(dirname "$(realpath "${libpam:-/nonexistent}")")/security
	if [ -z "$libpam" ] || [ ! -e "$secdir/pam_unix.so" ]; then
		not_ok "the PAM module directory next to libpam ('$libpam') holds pam_unix.so"
		exit 1
	fi

	before=$(host_state)
	overlays_before=$(overlays)
	S=$(mktemp -d /tmp/roster-sshd.XXXXXX) || { not_ok "mktemp"; exit 1; }
	trap 'rm -rf "$S"' EXIT
	trap 'exit 1' HUP INT TERM
	case "$(realpath "$S")/" in
	/etc/* | /usr/* | /var/* | /run/* | /home/*)
		not_ok "cannot create a mount namespace: $S resolves under an overlaid directory"
		exit 1 ;;
	esac
	if ! chmod 0711 "$S" || ! mkdir "$S/ns" || ! : >"$S/sshd"; then not_ok "prepare $S"; exit 1; fi
	if ! err=$(unshare --mount --propagation private true 2>&1); then
		not_ok "cannot create a mount namespace: ${err:-unshare failed}"
		exit 1
	fi
	# Everything inside is bounded; sshd is also started under a timeout
	# of its own, so it cannot outlive a namespace that was killed.  Inside
	# writes the pid and port of each sshd it starts to $S/sshd, outside
	# the namespace's tmpfs, so that we can check they are gone.
	ROSTER_SSHTEST_INNER=1 ROSTER_SSHTEST_DIR=$S/ns ROSTER_SSHTEST_TRIPLET=$triplet \
		ROSTER_SSHTEST_SECDIR=$secdir ROSTER_SSHTEST_PIDS=$S/sshd \
		ROSTER_SSHTEST_HOST_NS=$(readlink /proc/self/ns/mnt) \
		timeout -k 5 70 unshare --mount --propagation private bash "$SELF" </dev/null >"$S/log" 2>&1
	rc=$?
	cat "$S/log"
	[ "$rc" -eq 124 ] && echo "not ok - the test inside the namespace timed out"
	n=$(grep -c '^ok - ' "$S/log")
	failed=$(grep -c '^not ok - ' "$S/log")
	if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
		not_ok "the test inside the namespace exited with status $rc"
	fi

	# --- the host is untouched
	same "host: nsswitch.conf, pam.d, passwd, shadow, group, ld.so.cache, modules, CLI, /etc/roster, /var/lib/roster, homes, lookups as before" \
		"$(host_state)" "$before"
	same "host: as many overlay mounts as before" "$(overlays)" "$overlays_before"
	same "host: nothing is mounted under $S" "$(findmnt -rn -o TARGET | grep -c "^$S")" 0
	left=
	while read -r pid port; do
		# Ours if it is still sshd with our configuration (its title reads
		# "sshd: /usr/sbin/sshd -D -e -f $S/ns/sshd_config [listener] ..."):
		# then end it, by its pid.
		if [ -n "$pid" ] && { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -q "sshd .*-f $S/ns/sshd_config"; then
			left="$left sshd[$pid]"
			kill "$pid"
		fi
		if [ -n "$port" ] && ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
			left="$left listener:$port"
		fi
	done <"$S/sshd"
	same "host: no sshd of ours is left running or listening" "$left" ""
	rm -rf "$S"
	check "host: the scratch directory is gone" [ ! -e "$S" ]

	echo "# sshd: $n checks, $failed failed"
	[ "$failed" -eq 0 ]
	exit
fi

# =====================================================================
# Inside the mount namespace.
# =====================================================================
S=$ROSTER_SSHTEST_DIR
triplet=$ROSTER_SSHTEST_TRIPLET
SECDIR=$ROSTER_SSHTEST_SECDIR
ns_overlays "$S" "$ROSTER_SSHTEST_HOST_NS" roster-sshd
# /run: sshd's /run/sshd, and no host daemon's socket (nscd, the journal,
# D-Bus) reachable from here.  /home: the users' homes and keys.
for d in run home; do
	err=$(mount -t tmpfs -o mode=0755,size=16m "roster-sshd-$d" "/$d" 2>&1) || ns_cannot "tmpfs on /$d: $err"
done
ok "private mount namespace: overlays on /etc, /usr, /var; tmpfs on /run, /home"
rm -rf /var/lib/roster /etc/roster

# --- install, as a package would
check "install pam_roster.so into $SECDIR" install -m 0644 pam_module/pam_roster.so "$SECDIR/pam_roster.so"
check "install libnss_roster.so.2" install -m 0644 nss_module/libnss_roster.so.2 "/usr/lib/$triplet/libnss_roster.so.2"
check "install the CLI as /usr/sbin/roster" install -m 0755 cli/roster /usr/sbin/roster
ldconfig
sed -E -i -e '/^(passwd|group):/ s/[[:space:]]+roster([[:space:]]|$)/\1/g' \
	-e 's/^((passwd|group):[[:space:]]+(.*[[:space:]])?files)([[:space:]]|$)/\1 roster\4/' /etc/nsswitch.conf
check "nsswitch.conf: passwd and group have roster after files" \
	bash -c "grep -Eq '^passwd:.*\<files roster\>' /etc/nsswitch.conf && grep -Eq '^group:.*\<files roster\>' /etc/nsswitch.conf"
# The mailer keeps each message, as the invitee's mailbox would.
mkdir -m 0700 "$S/mail"
cat >"$S/mailer" <<MAILER
#!/bin/sh
n=\$(ls "$S/mail" | wc -l)
cat >"$S/mail/\$n"
MAILER
chmod 0755 "$S/mailer"
mkdir -p /etc/roster
cat >/etc/roster/roster.conf <<CONF
# written by tests/system/test_sshd.sh: cheap hashing, mail kept
[passwords]
opslimit = 1
memlimit = 8192
[invite]
mail_command = $S/mailer
template = $PWD/conf/invite.mail
CONF

# /etc/pam.d/sshd: Debian's, with pam_roster in front of each group.
# - auth: pam_localuser sends the users of /etc/passwd straight to
#   Debian's common-auth, as before: they pay no argon2id dummy and leave
#   no "unknown user" failure in roster's count.  Everyone else is roster's
#   to answer: success ends the stack; anything else ends it with the
#   failure (die), so a roster user never reaches pam_unix, and an unknown
#   name costs one dummy verification.  (A machine with directory users,
#   sssd or LDAP, would use default=ignore instead, to fall through.)
# - account: pam_nologin still comes first.  pam_roster answers for its
#   users - success or a forced change ends the stack, a refusal ends it
#   with the refusal (die): pam_unix's account step, which fails for
#   users without a shadow entry, is never reached - and lets the others
#   through (user_unknown=ignore) to common-account.  This step also runs
#   for SSH key logins: it is what keeps invited and disabled accounts out.
# - password: pam_roster changes its users' passwords (and redeems an
#   invitation: sshd calls it with PAM_CHANGE_EXPIRED_AUTHTOK after a
#   keyboard-interactive login); the others go on to common-password.
# - session: pam_roster records the last login; optional, it ignores
#   users it does not know.
cat >/etc/pam.d/sshd <<'PAMD'
# PAM configuration for the Secure Shell service, with roster
# (written by tests/system/test_sshd.sh)

# Local users (/etc/passwd) skip pam_roster; roster users stop at it.
auth       [success=1 default=ignore]                          pam_localuser.so
auth       [success=done new_authtok_reqd=done default=die]    pam_roster.so
@include common-auth

account    required     pam_nologin.so
account    [success=done new_authtok_reqd=done user_unknown=ignore default=die] pam_roster.so
@include common-account

session [success=ok ignore=ignore module_unknown=ignore default=bad]        pam_selinux.so close
session    required     pam_loginuid.so
session    optional     pam_keyinit.so force revoke
@include common-session
session    optional     pam_roster.so
session    optional     pam_motd.so  motd=/run/motd.dynamic
session    optional     pam_motd.so noupdate
session    optional     pam_mail.so standard noenv
session    required     pam_limits.so
session    required     pam_env.so
session    required     pam_env.so user_readenv=1 envfile=/etc/default/locale
session [success=ok ignore=ignore module_unknown=ignore default=bad]        pam_selinux.so open

password   [success=done user_unknown=ignore default=die]   pam_roster.so
@include common-password
PAMD
# passwd(1): what sshd runs, on a terminal, when a password login must
# change its password first (password authentication cannot ask itself).
cat >/etc/pam.d/passwd <<'PAMD'
# The passwd service, with roster (written by tests/system/test_sshd.sh)
password   [success=done user_unknown=ignore default=die]   pam_roster.so
@include common-password
PAMD
unset ROSTER_CONFIG ROSTER_NSS_DIR LD_LIBRARY_PATH LD_PRELOAD SUDO_USER SSH_AUTH_SOCK SSH_AGENT_PID
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
[ "$(command -v roster)" = /usr/sbin/roster ] || not_ok "roster on PATH is /usr/sbin/roster"

mk() { # mk DESCRIPTION ARGS...: roster ARGS succeeds
	local d=$1 out
	shift
	if out=$(roster "$@" 2>&1 </dev/null); then ok "$d"; else
		not_ok "$d"
		printf '#   %s\n' "$out"
	fi
}
mail_n() { cat "$S/mail/$1" 2>/dev/null; }
field() { sed -n "s/^ *$1: *//p"; } # field NAME: a "  Name:   value" line of a mail
fails() { roster --json user show "$1" </dev/null | jq -r .failed_logins; }
status() { roster --json user show "$1" </dev/null | jq -r .status; }

# --- sshd: a fresh host key, 127.0.0.1 only, a free port
mkdir -m 0700 "$S/ssh"
ssh-keygen -q -t ed25519 -N '' -C roster-test-host -f "$S/ssh/host_key" </dev/null ||
	not_ok "ssh-keygen: a host key"
ssh-keygen -q -t ed25519 -N '' -C roster-test-user -f "$S/ssh/user_key" </dev/null ||
	not_ok "ssh-keygen: a user key"
mkdir -m 0755 /run/sshd
sshd_config() { # sshd_config PORT
	cat <<SSHD
ListenAddress 127.0.0.1:$1
AddressFamily inet
HostKey $S/ssh/host_key
PidFile none
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication yes
PubkeyAuthentication yes
PermitEmptyPasswords no
PermitRootLogin no
StrictModes yes
AuthorizedKeysFile .ssh/authorized_keys
HostbasedAuthentication no
GSSAPIAuthentication no
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
LoginGraceTime 30
LogLevel VERBOSE
SSHD
}
sshd_pid=
stop_sshd() {
	[ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null && wait "$sshd_pid" 2>/dev/null
	sshd_pid=
}
# sshd itself, timeout's child.  (Not pgrep -P: procps tools hang with the
# ASan runtime preloaded, as make check SANITIZE=1 does; see ns.sh.)
sshd_child() {
	local c

	for c in $(cat "/proc/$sshd_pid/task/$sshd_pid/children" 2>/dev/null); do
		[ "$(cat "/proc/$c/comm" 2>/dev/null)" = sshd ] && echo "$c"
	done
}
trap stop_sshd EXIT
trap 'exit 1' HUP INT TERM
PORT=
for _ in 1 2 3 4 5; do
	p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
	ss -Hltn "sport = :$p" 2>/dev/null | grep -q . && continue
	sshd_config "$p" >"$S/sshd_config"
	: >"$S/sshd.log"
	# sshd must be started by its full path (it re-executes itself).
	timeout -k 2 65 /usr/sbin/sshd -D -e -f "$S/sshd_config" 2>>"$S/sshd.log" &
	sshd_pid=$!
	for _ in $(seq 100); do # 10 s at most
		grep -q "Server listening on 127.0.0.1 port $p\." "$S/sshd.log" && break
		kill -0 "$sshd_pid" 2>/dev/null || break
		sleep 0.1
	done
	# timeout's child is sshd itself: record it for the host-side check.
	echo "$(sshd_child) $p" >>"$ROSTER_SSHTEST_PIDS"
	if grep -q "Server listening on 127.0.0.1 port $p\." "$S/sshd.log"; then PORT=$p; break; fi
	stop_sshd
done
if [ -z "$PORT" ]; then
	not_ok "sshd listens on 127.0.0.1 on a free port"
	sed 's/^/#   sshd: /' "$S/sshd.log"
	exit 1
fi
same "sshd listens on 127.0.0.1:$PORT and nowhere else" \
	"$(ss -Hltnp 2>&1 | grep "pid=$(sshd_child)," | awk '{ print $4 }')" "127.0.0.1:$PORT"
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$S/ssh/host_key.pub")" >"$S/known_hosts"
# The client: no user configuration, no agent, the host key pinned, one
# password prompt per attempt, and a time limit on everything.
SSH=(ssh -F /dev/null -p "$PORT" -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$S/known_hosts"
	-o GlobalKnownHostsFile=/dev/null -o CheckHostIP=no -o UpdateHostKeys=no -o IdentityAgent=none
	-o IdentitiesOnly=yes -o ConnectTimeout=5 -o ServerAliveInterval=5 -o ServerAliveCountMax=2
	-o NumberOfPasswordPrompts=1 -o ControlPath=none)
# pw_login PASSWORD METHODS USER COMMAND...: output in $OUT, status in $RC
pw_login() {
	local pw=$1 methods=$2
	shift 2
	OUT=$(timeout -k 2 20 sshpass -p "$pw" "${SSH[@]}" -o LogLevel=ERROR \
		-o PreferredAuthentications="$methods" "$@" 2>&1 </dev/null)
	RC=$?
}
# key_login USER COMMAND...: with $S/ssh/user_key only
# (LogLevel INFO: the client shows sshd's banner, where PAM's messages go)
key_login() {
	OUT=$(timeout -k 2 20 "${SSH[@]}" -o LogLevel=INFO -o BatchMode=yes -o PreferredAuthentications=publickey \
		-i "$S/ssh/user_key" "$@" 2>&1 </dev/null)
	RC=$?
}
# After a failed dialogue: what the client saw, and sshd's last words.
diagnose() {
	tr -d '\r' <<<"$OUT" | sed 's/^/#   expect: /'
	tail -n 20 "$S/sshd.log" | sed 's/^/#   sshd: /'
}
# home USER: /home/USER with the test key authorized, owned as sshd's
# StrictModes wants
home() {
	local h=/home/$1 uid gid
	uid=$(roster --json user show "$1" </dev/null | jq -r .uid)
	gid=$(roster --json user show "$1" </dev/null | jq -r .gid)
	mkdir -p "$h/.ssh" && chmod 0700 "$h" "$h/.ssh" &&
		install -m 0600 "$S/ssh/user_key.pub" "$h/.ssh/authorized_keys" &&
		chown -R "$uid:$gid" "$h"
}

# --- a. the invitation, by mail
mk "roster role add analyst" role add analyst --description "Data analysts"
mk "roster invite send newbie@example.org --role analyst --first New --last Bie" \
	invite send newbie@example.org --role analyst --first New --last Bie
MAIL=$(mail_n 0)
same "the mail went to newbie@example.org" "$(grep '^To:' <<<"$MAIL")" "To: newbie@example.org"
USER1=$(field 'User name' <<<"$MAIL")
CODE=$(field 'One-time code' <<<"$MAIL")
same "the mail names the user newbie" "$USER1" newbie
CODE_RE='([0-9A-HJKMNP-TV-Z]{4}-){6}[0-9A-HJKMNP-TV-Z]{4}' # Crockford's base 32, 28 symbols
check "the mail carries a code" grep -Eqx "$CODE_RE" <<<"$CODE"
same "newbie is invited" "$(status newbie)" invited
same "getent passwd newbie: sshd will find the user through NSS" "$(getent passwd newbie | cut -d: -f1,6,7)" \
	newbie:/home/newbie:/bin/bash
check "newbie's home with an authorized key" home newbie

# An invited account does not get in with a key: the account step refuses.
key_login newbie@127.0.0.1 id
same "invited newbie, SSH key: refused, nothing runs" "$RC:$(grep -c 'uid=' <<<"$OUT")" "255:0"
check "... the client is told the account is not active yet" grep -q 'not active yet' <<<"$OUT"
check "... sshd: the key was accepted, PAM's account step said no" \
	grep -q 'Access denied for user newbie by PAM account configuration' "$S/sshd.log"

# --- b. the code redeemed over keyboard-interactive: typed at the
# password prompt, typed again as the current password, a new one twice
NEWPW='Vq8-Lattice-Morn-27'
# dialogue.exp PATTERN VAR [PATTERN VAR]... -- COMMAND...: runs COMMAND on a
# terminal, answers each prompt matching PATTERN (a regular expression)
# with the value of the environment variable VAR, in order, then waits for
# the end.  Exits with COMMAND's status, or 101-103 when stuck.
cat >"$S/dialogue.exp" <<'EXP'
set timeout 15
set dash [lsearch -exact $argv --]
set steps [lrange $argv 0 [expr {$dash - 1}]]
spawn -noecho {*}[lrange $argv [expr {$dash + 1}] end]
foreach {pattern var} $steps {
	expect {
		-re $pattern { send -- "$env($var)\r" }
		timeout { puts "\nEXPECT: timed out waiting for /$pattern/"; exit 101 }
		eof { puts "\nEXPECT: the connection closed before /$pattern/"; exit 102 }
	}
}
expect {
	timeout { puts "\nEXPECT: timed out after the last answer"; exit 103 }
	eof
}
exit [lindex [wait] 3]
EXP
# shellcheck disable=SC2016 # $(id -un) runs on the far side
OUT=$(T_CODE=$CODE T_NEWPW=$NEWPW timeout -k 2 40 expect -f "$S/dialogue.exp" -- \
	'Password: $' T_CODE 'Invitation code: $' T_CODE 'New password: $' T_NEWPW \
	'Retype new password: $' T_NEWPW -- "${SSH[@]}" \
	-o LogLevel=ERROR -o PreferredAuthentications=keyboard-interactive \
	newbie@127.0.0.1 'echo "logged in as $(id -un)"' \
	2>&1 </dev/null)
RC=$?
same "ssh keyboard-interactive: code, code, new password twice; the command runs" \
	"$RC:$(grep -c '^logged in as newbie' <<<"$OUT")" "0:1"
check "... after a welcome that says a password must be chosen" grep -q 'Choose your own password now' <<<"$OUT"
[ "$RC" -eq 0 ] || diagnose
same "roster user show newbie: active" "$(status newbie)" active
HIST=$(roster --json user history newbie </dev/null)
same "roster user history newbie: invite.accept, by newbie" \
	"$(jq -r '[.[] | select(.action == "invite.accept") | .actor] | join(",")' <<<"$HIST")" newbie
same "... and roster user history (text: time, actor, action, subject) says so too" \
	"$(roster user history newbie </dev/null | awk '$3 == "invite.accept" { print $2, $4 }')" "newbie newbie"
same "the login was recorded (pam_roster's session): via sshd from 127.0.0.1" \
	"$(roster user show newbie </dev/null | grep -c '^last login .* via sshd from 127\.0\.0\.1$')" 1

# --- c. the chosen password logs in, with the role's group
pw_login "$NEWPW" password,keyboard-interactive newbie@127.0.0.1 id
same "sshpass: the new password logs in; id runs" "$RC" 0
echo "#   $OUT"
check "... as newbie" grep -Eq '^uid=[0-9]+\(newbie\) gid=[0-9]+\(newbie\) ' <<<"$OUT"
check "... with the analyst group" grep -Eq 'groups=.*[0-9]+\(analyst\)' <<<"$OUT"
same "... and no failure counted" "$(fails newbie)" 0
key_login newbie@127.0.0.1 id -un
same "active newbie, SSH key: logs in (the key setup is sound)" "$RC:$OUT" "0:newbie"

# --- d, e. the burnt code and a wrong password: refused, and counted (so
# pam_roster, not some ssh option, refused them)
pw_login "$CODE" password newbie@127.0.0.1 id
same "sshpass: the invitation code no longer logs in" "$RC:$(grep -c 'uid=' <<<"$OUT")" "255:0"
same "... one failure counted" "$(fails newbie)" 1
pw_login 'Wrong-Password-123' password newbie@127.0.0.1 id
same "sshpass: a wrong password is refused" "$RC:$(grep -c 'uid=' <<<"$OUT")" "255:0"
same "... a second failure counted" "$(fails newbie)" 2
pw_login "$NEWPW" keyboard-interactive newbie@127.0.0.1 true
same "the right password over keyboard-interactive still works, and clears the count" "$RC:$(fails newbie)" "0:0"

# --- f. a disabled account: no password, no key; enabled again, both work
mk "roster user disable newbie" user disable newbie
pw_login "$NEWPW" password newbie@127.0.0.1 id
same "disabled newbie, right password: refused" "$RC:$(grep -c 'uid=' <<<"$OUT")" "255:0"
key_login newbie@127.0.0.1 id
same "disabled newbie, SSH key: refused" "$RC:$(grep -c 'uid=' <<<"$OUT")" "255:0"
check "... the client is told the account is disabled" grep -q 'account is disabled' <<<"$OUT"
mk "roster user enable newbie" user enable newbie
key_login newbie@127.0.0.1 id
same "enabled newbie, SSH key: works again" "$RC:$(grep -c 'uid=' <<<"$OUT")" "0:1"

# --- g. a second invitee: a key, a wrong code, the code over password
# authentication, and a code replaced by a resend
mk "roster invite send key.user@example.org --role analyst --username keyuser" \
	invite send key.user@example.org --role analyst --username keyuser
CODE2=$(mail_n 1 | field 'One-time code')
check "keyuser's mail carries a code" grep -Eqx "$CODE_RE" <<<"$CODE2"
check "keyuser's home with an authorized key" home keyuser
key_login keyuser@127.0.0.1 id
same "invited keyuser, SSH key: refused, nothing runs" "$RC:$(grep -c 'uid=' <<<"$OUT")" "255:0"
check "... by PAM's account step" grep -q 'Access denied for user keyuser by PAM account configuration' "$S/sshd.log"
WRONG=$(tr '0-9A-Z' '1-9A-Z0' <<<"$CODE2") # every symbol shifted: a well-formed, wrong code
pw_login "$WRONG" password keyuser@127.0.0.1 id
same "a wrong code: refused, and counted" "$RC:$(grep -c 'uid=' <<<"$OUT"):$(fails keyuser)" "255:0:1"
same "... keyuser still invited" "$(status keyuser)" invited
# Password authentication cannot change a password without a terminal:
# sshd lets the code in, then runs nothing.
pw_login "$CODE2" password keyuser@127.0.0.1 id
same "the right code by password authentication, no tty: nothing runs" \
	"$RC:$(grep -c 'uid=' <<<"$OUT"):$(grep -c 'Password change required but no TTY available' <<<"$OUT")" "1:0:1"
same "... keyuser still invited" "$(status keyuser)" invited
mk "roster invite resend keyuser" invite resend keyuser
CODE3=$(mail_n 2 | field 'One-time code')
check "the resent mail carries a code" grep -Eqx "$CODE_RE" <<<"$CODE3"
check "... another one" [ "$CODE3" != "$CODE2" ]
pw_login "$CODE2" keyboard-interactive keyuser@127.0.0.1 id
same "the replaced code: refused" "$RC:$(grep -c 'uid=' <<<"$OUT")" "255:0"
same "... keyuser still invited" "$(status keyuser)" invited
# With a terminal (ssh -t), sshd runs passwd(1) as the user instead: the
# passwd service redeems the code with pam_roster too.
NEWPW2='Ochre-Pylon-Drift-64'
OUT=$(T_CODE=$CODE3 T_NEWPW=$NEWPW2 timeout -k 2 40 expect -f "$S/dialogue.exp" -- \
	"keyuser@127.0.0.1's password: \$" T_CODE 'Invitation code: $' T_CODE 'New password: $' T_NEWPW \
	'Retype new password: $' T_NEWPW -- "${SSH[@]}" -t -o LogLevel=ERROR -o PreferredAuthentications=password \
	keyuser@127.0.0.1 2>&1 </dev/null)
RC=$?
same "ssh -t, password authentication with the new code: passwd asks for it, then a new password twice" \
	"$RC:$(grep -c 'password updated successfully' <<<"$OUT")" "0:1"
[ "$RC" -eq 0 ] || diagnose
same "... keyuser is active" "$(status keyuser)" active
pw_login "$NEWPW2" password keyuser@127.0.0.1 id -un
same "keyuser's chosen password logs in" "$RC:$OUT" "0:keyuser"
key_login keyuser@127.0.0.1 id -un
same "... and now so does keyuser's key" "$RC:$OUT" "0:keyuser"

# --- a local user (/etc/passwd, /etc/shadow) logs in as Debian's stack has it
if useradd -m -s /bin/bash localuser && printf 'localuser:Local-Pass-4821\n' | chpasswd; then
	pw_login 'Local-Pass-4821' password localuser@127.0.0.1 id -un
	same "local user, password: logs in through pam_unix" "$RC:$OUT" "0:localuser"
	# sshpass gives up at a second prompt: one prompt, not pam_roster's and pam_unix's
	pw_login 'Local-Pass-4821' keyboard-interactive localuser@127.0.0.1 id -un
	same "local user, keyboard-interactive: one password prompt, logs in" "$RC:$OUT" "0:localuser"
	pw_login 'Wrong-Password-123' password localuser@127.0.0.1 id -un
	same "local user, wrong password: refused" "$RC:$(grep -c '^localuser$' <<<"$OUT")" "255:0"
else
	not_ok "useradd localuser, chpasswd"
fi

stop_sshd
check "sshd stopped" [ -z "$sshd_pid" ]
echo "# inside: $n checks, $failed failed"
[ "$failed" -eq 0 ]
