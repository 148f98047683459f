#!/bin/bash
# The inside of make demo (see scripts/demo.sh, which starts this in a private
# mount namespace and checks the host afterwards).  Lays overlays on /etc,
# /usr and /var and a tmpfs on /run and /home, so that everything below -
# make install, nsswitch.conf, pam-auth-update, the database - vanishes with
# the namespace.  Each step prints the command, then its output.
set -u
S=${ROSTER_DEMO_DIR:?run scripts/demo.sh, not this}
triplet=${ROSTER_DEMO_TRIPLET:?}

B=$'\033[1m' D=$'\033[2m' N=$'\033[0m'
[ -t 1 ] || B='' D='' N=''
fail() { printf 'demo: %s\n' "$*" >&2; exit 1; }
# say LINE...: narration, one "# " line each
say() {
	printf '\n'
	local l
	for l in "$@"; do printf '%s# %s%s\n' "$B" "$l" "$N"; done
}
# run 'COMMAND LINE': print it, then run it (a refusal does not stop the demo)
run() {
	printf '\n%s$ %s%s\n' "$B" "$1" "$N"
	eval "$1"
}

# --- the namespace: overlays, a private /run and /home
[ "$(readlink /proc/self/ns/mnt)" != "${ROSTER_DEMO_HOST_NS:-}" ] || fail "still in the host's mount namespace"
mount -t tmpfs -o mode=0755,size=64m roster-demo "$S" || fail "tmpfs on $S"
for d in etc usr var; do
	mkdir "$S/$d" "$S/$d/upper" "$S/$d/work" || fail "mkdir $S/$d"
	if ! chown --reference="/$d" "$S/$d/upper" || ! chmod --reference="/$d" "$S/$d/upper"; then
		fail "preparing the upper layer of /$d"
	fi
	mount -t overlay "roster-demo-$d" -o "lowerdir=/$d,upperdir=$S/$d/upper,workdir=$S/$d/work" "/$d" ||
		fail "overlay on /$d"
	[ "$(findmnt -n -o FSTYPE --mountpoint "/$d")" = overlay ] || fail "/$d is not an overlay"
done
mount -t tmpfs -o mode=0755 roster-demo-run /run || fail "tmpfs on /run"
mount -t tmpfs -o mode=0755 roster-demo-home /home || fail "tmpfs on /home"
# Whatever the host has installed of roster is hidden here.
rm -rf /var/lib/roster /etc/roster
rm -f /usr/share/pam-configs/roster "/usr/lib/$triplet/security/pam_roster.so" \
	"/usr/lib/$triplet/libnss_roster.so.2" /usr/sbin/roster
unset MAKEFLAGS MFLAGS MAKELEVEL ROSTER_CONFIG ROSTER_NSS_DIR LD_LIBRARY_PATH LD_PRELOAD SUDO_USER DESTDIR PREFIX
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive
export LC_ALL=C.UTF-8

# su on a terminal, as an unprivileged user, with expect typing the answers.
# dialogue.exp PATTERN VAR LABEL [PATTERN VAR LABEL]... -- COMMAND...: answers
# each prompt matching PATTERN with the value of $VAR and shows LABEL dimmed
# where the (unechoed) answer went; exits with COMMAND's status, 101-103 when
# stuck.
cat >"$S/dialogue.exp" <<'EXP'
set timeout 10
set dash [lsearch -exact $argv --]
set steps [lrange $argv 0 [expr {$dash - 1}]]
spawn -noecho {*}[lrange $argv [expr {$dash + 1}] end]
foreach {pattern var label} $steps {
	expect {
		-re $pattern { send_user "$env(DEMO_DIM)$label$env(DEMO_OFF)"; send -- "$env($var)\r" }
		timeout { puts "\nEXPECT: timed out waiting for /$pattern/"; exit 101 }
		eof { puts "\nEXPECT: su ended before /$pattern/"; exit 102 }
	}
}
expect {
	timeout { puts "\nEXPECT: timed out after the last answer"; exit 103 }
	eof
}
exit [lindex [wait] 3]
EXP
# nobody_su USER COMMAND [PATTERN VAR LABEL]...: print "nobody$ su USER -c
# COMMAND", run it through expect, show the dialogue
nobody_su() {
	local user=$1 cmd=$2
	shift 2
	printf '\n%snobody$ su %s -c %q%s\n' "$B" "$user" "$cmd" "$N"
	(cd / && DEMO_DIM=$D DEMO_OFF=$N timeout -k 2 30 expect -f "$S/dialogue.exp" -- "$@" -- \
		setpriv --reuid=65534 --regid=65534 --clear-groups su "$user" -c "$cmd") 2>&1 | tr -d '\r'
	local rc=${PIPESTATUS[0]}
	printf '%s(exit status %s)%s\n' "$D" "$rc" "$N"
	return "$rc"
}

echo "${B}roster, the whole story${N}: a private mount namespace with overlays on /etc, /usr and /var"
echo "and its own /run and /home.  Everything below is real (make install, PAM, NSS, su)"
echo "and vanishes when the demo ends."

# --- install and enable
say "Install roster: the CLI, pam_roster.so, libnss_roster.so.2, man pages, /etc/roster."
run "make install" || fail "make install"
say "Cheap argon2id for the demo, and a mail_command that drops each message in an outbox."
printf '#!/bin/sh\n# demo: keep the message instead of sending it\n{ cat; echo; } >>/var/spool/demo-outbox\n' \
	>/usr/local/bin/demo-mail && chmod 755 /usr/local/bin/demo-mail
sed -i -e 's/^#opslimit =.*/opslimit = 1/' -e 's/^#memlimit =.*/memlimit = 8192/' \
	-e 's|^mail_command = .*|mail_command = /usr/local/bin/demo-mail|' /etc/roster/roster.conf
run "grep -E '^(opslimit|memlimit|mail_command) ' /etc/roster/roster.conf"
run "cat /usr/local/bin/demo-mail"
say "NSS: roster after files on the passwd and group lines."
sed -E -i -e 's/^((passwd|group):[[:space:]]+(.*[[:space:]])?files)([[:space:]]|$)/\1 roster\4/' /etc/nsswitch.conf
run "grep -E '^(passwd|group):' /etc/nsswitch.conf"
say "PAM: pam-auth-update puts pam_roster before pam_unix in common-auth, -account and -session."
run "pam-auth-update --enable roster" || fail "pam-auth-update"
run "grep -H pam_roster /etc/pam.d/common-*"
say "su has no password section of its own; for an invitee to choose a password at" \
	"su's prompt it gets the line README.md gives for passwd(1):"
printf 'password [success=done user_unknown=ignore default=die] pam_roster.so\n@include common-password\n' \
	>>/etc/pam.d/su
run "tail -n 2 /etc/pam.d/su"

# --- 1. roles
say "1. Roles.  \"admin\" here is an ordinary role: roster's own administrators are the" \
	"   role named by [roles] admin_role, roster-admin, created with the database."
run "roster role add analyst --description 'Data analysts' --services sshd"
run "roster role add admin --description 'Administrators'"
run "roster role list"

# --- 2. a user with a password
say "2. A user with a password, read from standard input (never from argv)."
run "printf '%s\n' 'Tea-Party-March-1865' | roster user add alice --email alice@example.org --first Alice --last Liddell --role analyst --role admin --password-stdin"
run "roster user show alice"

# --- 3. an invitation
say "3. An invitation: bob gets a one-time code by mail and chooses his password himself."
run "roster invite send bob@example.org --role analyst --first Bob --last Builder"
run "cat /var/spool/demo-outbox"
CODE=$(sed -n 's/^ *One-time code: *//p' /var/spool/demo-outbox | tail -1)
[ -n "$CODE" ] || fail "no code in the mail"
run "roster invite list"

# --- 4. NSS and PAM
say "4. The system sees roster's users through NSS..."
run "getent passwd alice bob"
run "getent group analyst admin"
run "id alice"
say "...and PAM logs them in: su, run by nobody on a terminal, expect typing the password."
export ALICE_PW='Tea-Party-March-1865' BOB_CODE=$CODE BOB_PW='Builder-Can-Fix-It-42'
nobody_su alice id 'Password: $' ALICE_PW "(alice's password)"

# --- 5. the invitation redeemed
say "5. bob redeems the invitation at su's prompt: the code as the password; the account" \
	"   step says a new password is required; the code again, then a new password twice."
nobody_su bob id 'Password: $' BOB_CODE '(the code)' 'Invitation code: $' BOB_CODE '(the code)' \
	'New password: $' BOB_PW '(a new password)' 'Retype new password: $' BOB_PW '(again)'
run "roster user list"
say "The code is burned; bob's own password works from now on."
nobody_su bob id 'Password: $' BOB_PW "(bob's new password)"
nobody_su bob id 'Password: $' BOB_CODE '(the old code)'

# --- 6. disabled
say "6. Disable alice: she keeps everything, but the same login is refused."
run "roster user disable alice"
nobody_su alice id 'Password: $' ALICE_PW "(alice's password)"
run "roster user show alice | grep -i status"

# --- 7. history
say "7. Every change is in the history: who changed what, from what to what (hash-chained)."
run "roster user history alice"
run "roster user history bob"
run "roster log --limit 10"
run "roster db check"
exit 0
