#!/bin/bash
# roster invite send|list|resend|revoke, and the mail they send.
. "$(dirname "$0")/lib.sh"

# A mail command that keeps each message it is given, and one that fails.
cat >"$T/mailer" <<MAILER
#!/bin/sh
n=\$(ls "$T"/mail.* 2>/dev/null | wc -l)
cat >"$T/mail.\$n"
MAILER
printf '#!/bin/sh\ncat >/dev/null\nexit 75\n' >"$T/badmailer"
chmod 755 "$T/mailer" "$T/badmailer"
cat >>"$T/roster.conf" <<CONF
[invite]
mail_command = $T/mailer
template = $PWD/conf/invite.mail
welcome_template = $PWD/conf/welcome.mail
lifetime = 72h
CONF
sed "s|^mail_command = .*|mail_command = $T/badmailer|" "$T/roster.conf" >"$T/bad.conf"
last_mail() { cat "$(ls "$T"/mail.* | sort -t. -k2 -n | tail -1)"; }

roster role add analyst >/dev/null

# --- send, by mail
run 0 "invite send mails the code" invite send Jane.Doe+Work@Example.org --role analyst --first Jane --json
check "the name comes from the email's local part" [ "$(json .name <<<"$OUT")" = jane-doe-work ]
check "the json does not carry the code when it was mailed" [ "$(json .code <<<"$OUT")" = null ]
check "it says it was mailed" [ "$(json .mailed <<<"$OUT")" = true ]
MAIL=$(last_mail)
check "the mail is addressed To: the invitee" grep -qx "To: Jane.Doe+Work@Example.org" <<<"$MAIL"
check "the mail has a Subject naming the host" grep -qx "Subject: Your account on $(hostname)" <<<"$MAIL"
check "the mail has the user name" grep -q "User name: *jane-doe-work" <<<"$MAIL"
CODE=$(sed -n 's/.*One-time code: *//p' <<<"$MAIL")
check "the mail has a code in groups of four" grep -Eqx '([0-9A-HJKMNP-TV-Z]{4}-){6}[0-9A-HJKMNP-TV-Z]{4}' <<<"$CODE"
check "the mail has the expiry" grep -q "Valid until: *20" <<<"$MAIL"
check "no password appears in the mail" bash -c "! grep -qi 'password: ' <<<'$MAIL'"
check "the code is not stored" bash -c "! tdbdump '$T/db/accounts.tdb' | grep -qF '$CODE' && ! tdbdump '$T/db/accounts.tdb' | grep -qF '${CODE//-/}'"
HIST=$("$ROSTER" user history jane-doe-work --json)
check "history has the invite" grep -q invite_code <<<"$HIST"
check "... but not the code" bash -c "! grep -qF '${CODE//-/}' <<<'$HIST' && ! grep -qF '$CODE' <<<'$HIST'"
run 0 "the invited user exists" user show jane-doe-work --json
check "... with status invited" [ "$(json .status <<<"$OUT")" = invited ]
check "... holding the role" [ "$(json '.roles | join(",")' <<<"$OUT")" = analyst ]
check "... and no password" [ "$(json .has_password <<<"$OUT")" = false ]

# --- send, without mail: the code is shown once
run 0 "invite send --no-email --json" invite send jane.doe@example.com --role analyst --no-email --json
check "a second jane gets another name" [ "$(json .name <<<"$OUT")" = jane-doe ]
check "--json carries the code" grep -Eq '^([0-9A-Z]{4}-){6}[0-9A-Z]{4}$' <<<"$(json .code <<<"$OUT")"
check "--json carries expires_at" [ "$(json .expires_at <<<"$OUT" | cut -c1-2)" = 20 ]
run 0 "invite send --username" invite send bob@example.org --role analyst --username robert --no-email
check "the user name is the one given" [ "$(roster user show robert --json | json .email)" = bob@example.org ]

# --- refusals
refused 2 "send without a role" invite send x@example.org
refused 1 "send with an unknown role" invite send x@example.org --role nosuch
refused 1 "send to a taken email" invite send JANE.DOE@example.com --role analyst
refused 1 "send to a bad email" invite send 'not an email' --role analyst
refused 1 "send with a bad --expires" invite send y@example.org --role analyst --expires 3weeks
refused 1 "send with a taken --username" invite send y@example.org --role analyst --username robert
refused 1 "resend to an active user" invite resend nosuch
roster user add active1 --email a1@example.org </dev/null >/dev/null
refused 1 "resend to a user who is not invited" invite resend active1
refused 1 "revoke a user who is not invited" invite revoke active1

# --- a mail command that fails: said clearly, the invite kept
OUT=$("$ROSTER" --config "$T/bad.conf" invite send failed@example.org --role analyst 2>"$T/err")
check "a failing mail command exits 1" [ $? -eq 1 ]
check "... saying the mail failed" grep -q "mail failed: .*status 75" "$T/err"
check "... and how to retry" grep -q "roster invite resend failed" "$T/err"
check "... and keeps the invite" [ "$(roster user show failed --json | json .status)" = invited ]
run 0 "resend retries the mail" invite resend failed
check "the retried mail went to the invitee" grep -qx "To: failed@example.org" <<<"$(last_mail)"

# --- list
run 0 "invite list --json" invite list --json
check "four pending invites" [ "$(json length <<<"$OUT")" = 4 ]
check "with who invited them" [ "$(json '.[0].invited_by' <<<"$OUT")" != null ]
check "none expired" [ "$(json '[.[] | select(.expired)] | length' <<<"$OUT")" = 0 ]
run 0 "invite list (table)" invite list
check "the table has a header and four rows" [ "$(wc -l <<<"$OUT")" = 5 ]
run 0 "a short-lived invite" invite send late@example.org --role analyst --expires 1m --no-email
run 0 "invite list" invite list --json
LEFT=$(( $(date -u -d "$(json '.[] | select(.name=="late") | .expires_at' <<<"$OUT")" +%s) - $(date +%s) ))
check "its expiry is a minute away ($LEFT s)" [ "$LEFT" -ge 55 -a "$LEFT" -le 60 ]

# --- resend: a new code, a new expiry; the old code's hash is gone
before=$(tdbdump "$T/db/accounts.tdb" | grep -A1 'user/jane-doe"' | tail -1 | md5sum)
run 0 "invite resend --no-email" invite resend jane-doe --no-email --json
NEW=$(json .code <<<"$OUT")
check "the new code differs" [ -n "$NEW" -a "$NEW" != "$CODE" ]
check "the stored record changed" [ "$before" != "$(tdbdump "$T/db/accounts.tdb" | grep -A1 'user/jane-doe"' | tail -1 | md5sum)" ]
check "history records the resend, the code as a secret" \
	[ "$(roster user history jane-doe --json | json '.[-1] | [.action, (.changes[] | select(.field=="invite_code") | .secret)] | join(" ")')" = "invite.resend true" ]

# --- revoke: the account goes, its name and uid stay reserved
UID_J=$(roster user show jane-doe --json | json .uid)
run 0 "invite revoke" invite revoke jane-doe
run 1 "the revoked user is gone" user show jane-doe
refused 1 "the revoked name is reserved" user add jane-doe --email new@example.org
run 0 "a new user" user add fresh --email fresh@example.org --json
check "does not get the revoked uid" [ "$(json .uid <<<"$OUT")" != "$UID_J" ]
check "the revoked email is free again" bash -c "\"$ROSTER\" user edit fresh --email jane.doe@example.com >/dev/null"
# What NSS sees, through glibc and the built module (under make check
# SANITIZE=1, with the ASan runtime the module then needs loaded first).
nss() {
	ROSTER_NSS_DIR="$T/db" LD_LIBRARY_PATH="$PWD/nss_module" LD_PRELOAD="${ROSTER_ASAN_PRELOAD:-}" \
		getent -s roster "$@" >/dev/null
}
no_nss() { ! nss "$@"; }
check "NSS resolves a live user (the control)" nss passwd fresh
check "NSS does not resolve the revoked user" no_nss passwd jane-doe
check "... nor its private group" no_nss group jane-doe
# --- user add --notify: a welcome message, never a password
run 0 "user add --notify --generate-password" user add wendy --email wendy@example.org --first Wendy \
	--notify --generate-password --json
PW=$(json .password <<<"$OUT")
MAIL=$(last_mail)
check "the welcome goes To: the new user" grep -qx "To: wendy@example.org" <<<"$MAIL"
check "it has a Subject" grep -q "^Subject: Your account on" <<<"$MAIL"
check "it names the user" grep -q "User name: *wendy" <<<"$MAIL"
check "it does not carry the password" bash -c "! grep -qF '$PW' <<<'$MAIL'"
OUT=$("$ROSTER" --config "$T/bad.conf" user add wanda --email wanda@example.org --notify </dev/null 2>"$T/err")
check "a failing welcome mail exits 1" [ $? -eq 1 ]
check "... saying the user was created" grep -q "wanda was created, but the welcome mail failed" "$T/err"

run 0 "db check passes" db check

[ "$fails" -eq 0 ]
