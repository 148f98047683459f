#!/bin/bash
# roster user and role commands against a throwaway database: outputs, exit
# codes, JSON shapes, and that every refused command changes nothing.
. "$(dirname "$0")/lib.sh"

# --- the first write creates the database, with the right modes
run 0 "role add creates the database" role add analyst --description "Data analysts" --services sshd,login
check "accounts.tdb is 0600" [ "$(stat -c %a "$T/db/accounts.tdb")" = 600 ]
check "every view file is 0644" [ -z "$(find "$T/db/view" -type f ! -perm 0644)" ]
# a shard without entries has no file: the two roles' one to four, and the stamp
check "the two roles' shards and a stamp" [ "$(ls "$T/db/view" | wc -l)" -ge 2 -a "$(ls "$T/db/view" | wc -l)" -le 5 ]
check "... named shard.NNNN" [ -z "$(ls "$T/db/view" | grep -v -x -E 'shard\.[0-9]{4}|generation')" ]
check "the view directory is 0755" [ "$(stat -c %a "$T/db/view")" = 755 ]
mkdir "$T/umask" && chmod 755 "$T/umask"
sed "s|^dir = .*|dir = $T/umask/db|" "$T/roster.conf" >"$T/umask.conf"
(umask 077 && "$ROSTER" --config "$T/umask.conf" role add x >/dev/null)
check "under umask 077, accounts.tdb is still 0600" [ "$(stat -c %a "$T/umask/db/accounts.tdb")" = 600 ]
check "... the view directory 0755" [ "$(stat -c %a "$T/umask/db/view")" = 755 ]
check "... and the view files 0644" [ -z "$(find "$T/umask/db/view" -type f ! -perm 0644)" ]
run 0 "role list shows the admin role" role list
check "the admin role exists" grep -q roster-admin <<<"$OUT"

# --- user add with every option
printf 'correct horse battery\n' >"$T/pw"
OUT=$("$ROSTER" user add alice --email Alice@Example.org --first Alice --last Liddell \
	--role analyst --shell /usr/bin/zsh --home /srv//alice/ --expires 2030-06-30 \
	--must-change-password --password-stdin --json <"$T/pw" 2>&1)
check "user add with --password-stdin succeeds" [ $? -eq 0 ]
check "uid is the first free id" [ "$(json .uid <<<"$OUT")" = 65538 ]
check "home is normalised" [ "$(json .home <<<"$OUT")" = /srv/alice ]
check "expiry is kept" [ "$(json .expires_at <<<"$OUT")" = 2030-06-30 ]
check "must-change is set" [ "$(json .must_change_password <<<"$OUT")" = true ]
check "a password is set" [ "$(json .has_password <<<"$OUT")" = true ]
check "the plaintext password is not stored" bash -c "! tdbdump '$T/db/accounts.tdb' | grep -q 'correct horse'"
check "the stored hash is argon2id" bash -c "tdbdump '$T/db/accounts.tdb' | grep -q 'argon2id'"

run 0 "user show --json" user show alice --json
for k in name uid gid uuid email first_name last_name status roles supervisor shell home \
	must_change_password expires_at created_at updated_at; do
	check "user show has key $k" bash -c "jq -e 'has(\"$k\")' >/dev/null <<<'$OUT'"
done
check "the json carries no hash" bash -c "! grep -q argon2 <<<'$OUT'"
check "roles are a list" [ "$(json '.roles[0]' <<<"$OUT")" = analyst ]
run 0 "--json before the command works too" --json user show alice
check "same json either way" [ "$(json .uuid <<<"$OUT")" != "" ]

# --- generated password: printed once, never stored in the clear
run 0 "user add --generate-password" user add bob --email bob@example.org --first Bob \
	--supervisor alice --generate-password --json
PW=$(json .password <<<"$OUT")
check "a generated password is 20 characters" [ ${#PW} -eq 20 ]
check "the generated password is not stored" bash -c "! tdbdump '$T/db/accounts.tdb' | grep -qF '$PW'"
check "nor in the view" bash -c "! cat '$T'/db/view/* | grep -qF '$PW'"

# --- no password at all
run 0 "user add without a password" user add carol --email carol@example.org --inactive
check "carol is disabled (--inactive)" [ "$(roster user show carol --json | json .status)" = disabled ]
check "carol has no password" [ "$(roster user show carol --json | json .has_password)" = false ]
check "carol skipped uid 65540 (in passwd) and 65541 (a gid in group)" [ "$(roster user show carol --json | json .uid)" = 65542 ]

# --- uid allocation skips ids the system files hold, never reuses
run 0 "user add dave" user add dave --email dave@example.org --json
check "dave gets the next id" [ "$(json .uid <<<"$OUT")" = 65543 ]

# --- refusals: each exits 1 or 2, says why, and changes nothing
refused 1 "duplicate name" user add alice --email other@example.org
refused 1 "duplicate email, other case" user add erin --email ALICE@example.ORG
refused 1 "a name in /etc/passwd" user add daemon --email d@example.org
refused 1 "a name in /etc/group (private groups)" user add sysgroup --email s@example.org
refused 1 "a role's name" user add analyst --email an@example.org
refused 2 "a name that looks like an option" user add -dash --email n@example.org
for bad in 'Upper' '1digit' 'has:colon' 'has space' 'new
line' 'a$b' "$(printf 'x%.0s' {1..33})" 'dot.ted' ''; do
	refused 1 "bad user name '${bad//$'\n'/\\n}'" user add "$bad" --email n@example.org
done
for bad in 'plain' '@example.org' 'a@' 'a@b' 'a..b@example.org' 'a@-x.org' 'a b@example.org' \
	'a@exa_mple.org' 'a:b@example.org' "$(printf 'x%.0s' {1..250})@example.org"; do
	refused 1 "bad email '$bad'" user add frank --email "$bad"
done
for bad in 'a:b' 'a,b' 'new
line' $'tab\there' 'x=y' "$(printf 'x%.0s' {1..65})" $'\xff\xfe' ' leading'; do
	refused 1 "bad first name '${bad//$'\n'/\\n}'" user add frank --email f@example.org --first "$bad"
done
refused 1 "a shell not in /etc/shells" user add frank --email f@example.org --shell /bin/false
refused 1 "a relative home" user add frank --email f@example.org --home home/frank
refused 1 "a home with .." user add frank --email f@example.org --home /home/../etc
refused 1 "a home with :" user add frank --email f@example.org --home /home/a:b
refused 1 "an impossible date" user add frank --email f@example.org --expires 2026-02-30
refused 1 "a date in another format" user add frank --email f@example.org --expires 30/06/2026
refused 1 "an unknown role" user add frank --email f@example.org --role nosuch
refused 1 "an unknown supervisor" user add frank --email f@example.org --supervisor nosuch
# Linux caps one argument at 128 KiB (MAX_ARG_STRLEN); 100 KiB is the most argv can carry.
refused 1 "a 100 KiB first name" user add frank --email f@example.org --first "$(head -c 102400 /dev/zero | tr '\0' a)"
refused 2 "no email" user add frank
refused 2 "an unknown option" user add frank --email f@example.org --bogus
refused 2 "--password-stdin with --generate-password" user add frank --email f@example.org --password-stdin --generate-password
printf 'short\n' >"$T/short"
before=$(fingerprint)
"$ROSTER" user add frank --email f@example.org --password-stdin <"$T/short" 2>/dev/null
check "a password under min_length is refused" [ $? -eq 1 ]
check "... and changes nothing" [ "$before" = "$(fingerprint)" ]
head -c 600 /dev/zero | tr '\0' x >"$T/long"
"$ROSTER" user add frank --email f@example.org --password-stdin <"$T/long" 2>/dev/null
check "a password over 512 bytes is refused" [ $? -eq 1 ]
check "... and changes nothing" [ "$before" = "$(fingerprint)" ]

# --- edit
run 0 "user edit" user edit bob --last Builder --email bob@builder.example.org --no-supervisor --expires 2031-01-01
run 0 "user show after edit" user show bob --json
check "last name changed" [ "$(json .last_name <<<"$OUT")" = Builder ]
check "supervisor cleared" [ "$(json .supervisor <<<"$OUT")" = null ]
run 0 "the old email is free again" user add erin --email bob@example.org
refused 1 "edit to a taken email" user edit erin --email alice@example.org
refused 1 "edit with a colon in the last name" user edit erin --last 'x:y'
refused 1 "edit an unknown user" user edit nosuch --first X
refused 2 "edit with nothing to change" user edit erin
refused 1 "a user as their own supervisor" user edit erin --supervisor erin

# --- history: every changed field with old and new values, secrets by name
run 0 "user history --json" user history bob --json
check "two events for bob" [ "$(json length <<<"$OUT")" = 2 ]
check "the first is user.add" [ "$(json '.[0].action' <<<"$OUT")" = user.add ]
check "the edit records the old last name as absent" [ "$(json '.[1].changes[] | select(.field=="last_name") | .old' <<<"$OUT")" = null ]
check "the edit records the new last name" [ "$(json '.[1].changes[] | select(.field=="last_name") | .new' <<<"$OUT")" = Builder ]
check "the edit records the old email" [ "$(json '.[1].changes[] | select(.field=="email") | .old' <<<"$OUT")" = bob@example.org ]
check "the password is a secret change" [ "$(json '.[0].changes[] | select(.field=="password") | .secret' <<<"$OUT")" = true ]
check "no hash in history output" bash -c "! grep -q argon2 <<<'$OUT'"
check "the actor is recorded" [ "$(json '.[1].actor' <<<"$OUT")" = "$(json '.[0].actor' <<<"$OUT")" ]
SUDO_USER=alice "$ROSTER" user edit erin --first Erin >/dev/null
check "SUDO_USER is the actor under sudo" [ "$(roster user history erin --json | json '.[-1].actor')" = alice ]

# --- passwd
printf 'another long password\n' | "$ROSTER" user passwd carol --password-stdin --must-change-password >/dev/null
check "user passwd sets a password" [ "$(roster user show carol --json | json .has_password)" = true ]
check "... and forces a change" [ "$(roster user show carol --json | json .must_change_password)" = true ]
run 0 "user passwd --generate-password --json" user passwd carol --generate-password --json
check "the new password is shown once" [ "$(json '.password | length' <<<"$OUT")" = 20 ]
check "and must-change is cleared" [ "$(json .must_change_password <<<"$OUT")" = false ]
refused 2 "user passwd with no source and no terminal" user passwd carol

# --- list
run 0 "user list" user list
check "the table has a header and 5 users" [ "$(wc -l <<<"$OUT")" = 6 ]
check "columns are aligned" bash -c "[ \$(awk '{print index(\$0, \"UID\")}' <<<'$(head -1 <<<"$OUT")') -gt 0 ]"
run 0 "user list --role analyst --json" user list --role analyst --json
check "only alice holds analyst" [ "$(json '[.[].name] | join(",")' <<<"$OUT")" = alice ]
run 0 "user list --status disabled" user list --status disabled --json
check "only carol is disabled" [ "$(json '[.[].name] | join(",")' <<<"$OUT")" = carol ]
run 0 "user list --supervisor alice" user list --supervisor alice --json
check "nobody reports to alice now" [ "$(json length <<<"$OUT")" = 0 ]
refused 1 "list with an unknown status" user list --status weird
refused 1 "list with an unknown role" user list --role nosuch

# --- roles
run 0 "role assign to two users" role assign analyst bob dave
check "both hold it" [ "$(roster role show analyst --json | json '.members | join(",")')" = alice,bob,dave ]
refused 1 "assign to a missing user changes nothing for the others" role assign roster-admin bob nosuch
check "bob did not get roster-admin" [ "$(roster user show bob --json | json '.roles | join(",")')" = analyst ]
refused 1 "assign a role already held" role assign analyst bob
run 0 "role revoke" role revoke analyst dave
refused 1 "revoke a role not held" role revoke analyst dave
run 0 "role edit" role edit analyst --services sshd --description "Analysts"
check "services changed" [ "$(roster role show analyst --json | json '.services | join(",")')" = sshd ]
refused 1 "a bad service name" role edit analyst --services 'ssh d'
refused 1 "a trailing comma" role edit analyst --services sshd,
refused 1 "a bad role name" role add 'Bad:Role'
refused 1 "a role named like a user" role add alice
refused 1 "a duplicate role" role add analyst
refused 1 "a description with a newline" role add ops --description 'a
b'
refused 1 "deleting the admin role" role delete roster-admin
run 0 "role add ops" role add ops
GID=$(roster role show ops --json | json .gid)
run 0 "role delete" role delete ops
refused 1 "show a deleted role" role show ops
run 0 "a new role gets a new gid" role add ops2 --json
check "the gid of a deleted role is not reused" [ "$(json .gid <<<"$OUT")" != "$GID" ]

# --- views hold no secrets
check "no email in any view file" bash -c "! grep -rqi 'example.org' '$T/db/view'"
check "no hash in any view file" bash -c "! grep -rq 'argon2' '$T/db/view'"

# --- generic command line behaviour
for c in "user add" "user show" "user list" "user edit" "user passwd" "user history" "role add" \
	"role edit" "role list" "role show" "role delete" "role assign" "role revoke" "db check"; do
	run 0 "$c --help" $c --help
done
run 0 "--version" --version
run 2 "no command" 
run 2 "an unknown command" frobnicate
run 2 "a noun without a verb" user
run 1 "show an unknown user" user show nosuch
check "... says so" grep -q "no such user" <<<"$ERR"
run 0 "db check passes" db check
run 0 "db check --json" db check --json
check "db check json says ok" [ "$(json .ok <<<"$OUT")" = true ]

# --- not root
if command -v setpriv >/dev/null; then
	OUT=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$ROSTER" user add zed --email z@example.org 2>&1)
	check "a non-root write is refused with exit 1" [ $? -eq 1 ]
	check "... saying to run as root" grep -q "as root" <<<"$OUT"
	OUT=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$ROSTER" user show alice 2>&1)
	check "a non-root read cannot open the 0600 database" grep -qi "permission denied\|as root" <<<"$OUT"
fi

# --- a database others can read is refused
chmod 644 "$T/db/accounts.tdb"
run 1 "a world-readable accounts.tdb is refused" user show alice
check "... with the reason" grep -q "chmod 600" <<<"$ERR"
chmod 600 "$T/db/accounts.tdb"

# --- a damaged database: a clear error, never a crash, nothing written
cp "$T/db/accounts.tdb" "$T/good.tdb"
tdbtool "$T/db/accounts.tdb" store user/erin garbage >/dev/null 2>&1
run 1 "a damaged record is reported on show" user show erin
check "... as damaged" grep -q "damaged" <<<"$ERR"
run 1 "db check fails on a damaged record" db check
check "... and names it" grep -q "user/erin cannot be decoded" <<<"$OUT"
refused 1 "an edit of a damaged record is refused" user edit erin --first Again
OUT=$("$ROSTER" db export 2>"$T/err" >"$T/export.json"); RC=$?; ERR=$(cat "$T/err")
check "an export of a damaged record fails" [ "$RC" = 1 ]
check "... naming the user, as damaged" grep -q "the record of user erin is damaged" <<<"$ERR"
cp "$T/good.tdb" "$T/db/accounts.tdb"
tdbtool "$T/db/accounts.tdb" store 'user/Not!Valid' garbage >/dev/null 2>&1
OUT=$("$ROSTER" db export 2>"$T/err" >"$T/export.json"); RC=$?; ERR=$(cat "$T/err")
check "an export of a key that is not a user name fails (import would refuse it)" [ "$RC" = 1 ]
check "... saying so" grep -q "a user key that is not a valid user name" <<<"$ERR"
cp "$T/good.tdb" "$T/db/accounts.tdb"
truncate -s 1000 "$T/db/accounts.tdb"
run 1 "a truncated accounts.tdb is refused" user list
check "... with advice" grep -q "damaged or not a tdb database" <<<"$ERR"
run 1 "and a write to it too" user add zed --email zed@example.org
check "the truncated file was not written" [ "$(stat -c %s "$T/db/accounts.tdb")" = 1000 ]
cp "$T/good.tdb" "$T/db/accounts.tdb"
run 0 "the restored database checks clean" db check

[ "$fails" -eq 0 ]
