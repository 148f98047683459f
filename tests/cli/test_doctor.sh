#!/bin/bash
# roster doctor: red on a machine that is not set up, green once it is,
# and each failure names its fix.  The system files are stand-ins in $T.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/pam.d"
printf 'passwd: files systemd\ngroup: files systemd\nshadow: files\n' >"$T/nsswitch.conf"
for f in common-auth common-account common-password common-session; do
	printf '%s\trequired\tpam_unix.so\n' "${f#common-}" >"$T/pam.d/$f"
done
printf 'enable-cache passwd yes\n' >"$T/nscd.conf"
printf '#!/bin/sh\ncat >/dev/null\n' >"$T/mailer" && chmod 755 "$T/mailer"
cat >>"$T/roster.conf" <<CONF
nsswitch = $T/nsswitch.conf
pam_dir = $T/pam.d
nscd_conf = $T/nscd.conf
[invite]
mail_command = $T/nomailer -t
CONF
roster role add staff >/dev/null
ok_of() { json "map(select(.check == \"$1\")) | .[0].ok" <<<"$OUT"; }

run 1 "doctor is red before setup" doctor --json
check "nsswitch passwd fails" [ "$(ok_of "nsswitch passwd")" = false ]
check "nsswitch group fails" [ "$(ok_of "nsswitch group")" = false ]
check "the pam stacks fail" [ "$(ok_of "pam stacks")" = false ]
check "the mail command fails" [ "$(ok_of "mail command")" = false ]
check "every failure names a fix" [ "$(json '[.[] | select(.ok == false) | .fix != null] | all' <<<"$OUT")" = true ]
check "the database checks pass" [ "$(ok_of accounts.tdb),$(ok_of "view files"),$(ok_of consistency)" = true,true,true ]
run 1 "doctor (text)" doctor
check "the text says what failed" grep -q "Some checks failed" <<<"$OUT"

# set the machine up
sed -i 's/^passwd:.*/passwd: files roster systemd/; s/^group:.*/group: files roster systemd/' "$T/nsswitch.conf"
for f in common-auth common-account common-password common-session; do
	printf '%s\t[success=end default=ignore]\tpam_roster.so\n' "${f#common-}" >>"$T/pam.d/$f"
done
sed -i "s|^mail_command = .*|mail_command = $T/mailer -t|" "$T/roster.conf"
run 0 "doctor is green after setup" doctor --json
check "every check passes" [ "$(json '[.[].ok] | all' <<<"$OUT")" = true ]
check "it checks nsswitch, pam, files, the view, ids, the cut-over, nscd and mail" \
	[ "$(json '[.[].check] | join(",")' <<<"$OUT")" = "nsswitch passwd,nsswitch group,pam stacks,database dir,accounts.tdb,view dir,view files,consistency,id collisions,cut-over,nscd,mail command" ]
run 0 "doctor (text) when all is well" doctor
check "... says so" grep -q "Everything is in place" <<<"$OUT"

# each kind of breakage turns it red again
chmod 644 "$T/db/accounts.tdb"
run 1 "a readable accounts.tdb is red" doctor --json
check "... with the chmod to run" [ "$(json 'map(select(.check == "accounts.tdb")) | .[0].fix' <<<"$OUT")" = "chown root:root $T/db/accounts.tdb; chmod 0600 $T/db/accounts.tdb" ]
chmod 600 "$T/db/accounts.tdb"
printf '%020d\n' 0 >"$T/db/view/generation"
run 1 "a stale view is red" doctor --json
check "... and says to repair" [ "$(json 'map(select(.check == "consistency")) | .[0].fix' <<<"$OUT")" = "run: roster db check --repair" ]
roster db check --repair >/dev/null
GID=$(roster role show staff --json | json .gid)
printf 'intruder:x:%s:%s::/:/bin/sh\n' "$GID" "$GID" >>"$T/passwd"
run 1 "a system account on an id roster uses is red" doctor --json
check "... naming it" grep -q "intruder has uid $GID, which roster also uses" <<<"$(json 'map(select(.check == "id collisions")) | .[0].detail' <<<"$OUT")"
sed -i '/^intruder:/d' "$T/passwd"
run 0 "green again" doctor

[ "$fails" -eq 0 ]
