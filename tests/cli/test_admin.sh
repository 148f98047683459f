#!/bin/bash
# Administration: enable/disable, admin grant/revoke and their rails, delete
# and its tombstone, history and log, tamper detection.
. "$(dirname "$0")/lib.sh"

roster user add root2 --email r2@example.org </dev/null >/dev/null   # a non-admin actor
roster user add alice --email alice@example.org --first Alice --role roster-admin </dev/null >/dev/null
roster user add bob --email bob@example.org --supervisor alice </dev/null >/dev/null
roster user add carol --email carol@example.org --supervisor alice --generate-password </dev/null >/dev/null

# --- rails: nobody acts on themselves (SUDO_USER is the actor under sudo)
export SUDO_USER=bob
refused 1 "bob cannot disable himself" user disable bob
check "... saying why" grep -q "cannot disable themselves" <<<"$ERR"
refused 1 "bob cannot delete himself" user delete bob
refused 1 "bob cannot grant himself admin" admin grant bob
check "... saying why" grep -q "own admin rights" <<<"$ERR"
refused 1 "bob cannot grant himself admin through role assign either" role assign roster-admin bob
run 0 "bob can disable carol" user disable carol
export SUDO_USER=carol
refused 1 "disabled carol cannot enable herself" user enable carol
unset SUDO_USER
run 0 "root enables carol" user enable carol

# --- rails: the last active admin stays
refused 1 "the last admin cannot be disabled" user disable alice
check "... saying why" grep -q "last active admin" <<<"$ERR"
refused 1 "the last admin cannot be deleted" user delete alice
refused 1 "the last admin cannot be revoked" admin revoke alice
refused 1 "the last admin cannot be expired (a past --expires is disabling by another name)" \
	user edit alice --expires 2000-01-01
refused 1 "... nor through role revoke" role revoke roster-admin alice
export SUDO_USER=alice
refused 1 "alice cannot revoke her own admin rights" admin revoke alice
unset SUDO_USER
run 0 "a second admin" admin grant bob --json
check "admin grant --json" [ "$(json .admin <<<"$OUT")" = true ]
check "bob holds the admin role" [ "$(roster user show bob --json | json '.roles | index("roster-admin") != null')" = true ]
run 0 "now alice can be disabled" user disable alice
refused 1 "but then bob is the last active admin" admin revoke bob
run 0 "re-enable alice" user enable alice
run 0 "and revoke bob" admin revoke bob
refused 1 "enabling an active user is refused" user enable alice
check "... saying it is already so" grep -q "already active" <<<"$ERR"

# --- delete: a tombstone; the name and the uid are never handed out again
run 0 "user show lists direct reports" user show alice --json
check "alice's reports are bob and carol" [ "$(json '.reports | join(",")' <<<"$OUT")" = bob,carol ]
UID_C=$(roster user show carol --json | json .uid)
run 0 "delete carol" user delete carol --json
check "delete --json says deleted" [ "$(json .status <<<"$OUT")" = deleted ]
run 1 "carol is gone" user show carol
refused 1 "her name is never reused" user add carol --email carol2@example.org
check "... saying so" grep -q "never reused" <<<"$ERR"
run 0 "her email is free" user add dave --email carol@example.org --json
check "dave does not get carol's uid" [ "$(json .uid <<<"$OUT")" != "$UID_C" ]
check "the tombstone holds no email, name or hash" \
	bash -c "! tdbdump '$T/db/accounts.tdb' | grep -A1 'key(10) = \"user/carol\"' | tail -1 | grep -q -e carol@ -e argon2"
run 0 "her history is kept" user history carol --json
check "... ending with user.delete" [ "$(json '.[-1].action' <<<"$OUT")" = user.delete ]
check "... which names the password as a secret" [ "$(json '.[-1].changes[] | select(.field=="password") | .secret' <<<"$OUT")" = true ]
check "... and records the old email" [ "$(json '.[-1].changes[] | select(.field=="email") | .old' <<<"$OUT")" = carol@example.org ]
run 0 "a deleted supervisor leaves no dangling reference" user delete bob
check "(bob had alice as supervisor; deleting bob is fine)" true
roster user add erin --email erin@example.org --supervisor dave </dev/null >/dev/null
run 0 "delete dave, erin's supervisor" user delete dave
check "erin has no supervisor now" [ "$(roster user show erin --json | json .supervisor)" = null ]
check "... and her history says so" [ "$(roster user history erin --json | json '.[-1].changes[0] | "\(.field) \(.old) \(.new)"')" = "supervisor dave null" ]

# --- history: order, old and new values, JSON shape
roster user edit alice --first Alicia >/dev/null
roster user edit alice --first Ali --last Liddell >/dev/null
run 0 "user history --json" user history alice --json
check "events are oldest first" [ "$(json '[.[].action] | join(",")' <<<"$OUT")" = "user.add,user.disable,user.enable,user.edit,user.edit" ]
check "every event has time, actor, action, changes" \
	[ "$(json '[.[] | has("time") and has("actor") and has("action") and has("changes")] | all' <<<"$OUT")" = true ]
check "old and new values in order" [ "$(json '[.[-2:][].changes[] | select(.field=="first_name") | "\(.old)>\(.new)"] | join(" ")' <<<"$OUT")" = "Alice>Alicia Alicia>Ali" ]
check "times are UTC ISO 8601" grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' <<<"$(json '.[0].time' <<<"$OUT")"

# --- log: across users, with filters
run 0 "log --json" log --json
ALL=$(json length <<<"$OUT")
# every event of every user and role, in sequence
check "log has every event ($ALL), numbered 1..N" [ "$(json '[.[].seq] == [range(1; length + 1)]' <<<"$OUT")" = true ]
check "... as many as the users' and roles' histories together" [ "$ALL" = "$(for s in root2 alice bob carol dave erin roster-admin; do "$ROSTER" user history $s --json 2>/dev/null || "$ROSTER" log --user $s --json; done | jq -s 'map(length) | add')" ]
run 0 "log --user alice" log --user alice --json
check "only alice's events" [ "$(json '[.[].subject] | unique | join(",")' <<<"$OUT")" = alice ]
SUDO_USER=erin roster user edit alice --last L >/dev/null
run 0 "log --actor erin" log --actor erin --json
check "only erin's actions" [ "$(json '[.[].actor] | unique | join(",")' <<<"$OUT")" = erin ]
run 0 "log --limit 2" log --limit 2 --json
check "the newest two" [ "$(json 'length' <<<"$OUT"),$(json '.[-1].actor' <<<"$OUT")" = 2,erin ]
run 0 "log --since tomorrow" log --since "$(date -u -d tomorrow +%F)" --json
check "nothing since tomorrow" [ "$(json length <<<"$OUT")" = 0 ]
refused 1 "log --since with a bad date" log --since 2026-13-01
refused 1 "log --limit 0" log --limit 0
run 0 "log (text)" log --limit 3
check "the text log shows subjects" grep -q "alice" <<<"$OUT"

# --- tamper detection: an edited or removed event is named
run 0 "db check passes before tampering" db check
cp "$T/db/accounts.tdb" "$T/saved.tdb"
K=$(tdbdump "$T/db/accounts.tdb" | grep -o 'key([0-9]*) = "ev/5"' | head -1)
check "event 5 exists" [ -n "$K" ]
tdbtool "$T/db/accounts.tdb" store ev/5 "$(tdbtool "$T/db/accounts.tdb" show ev/5 >/dev/null 2>&1; printf 'REtampered')" >/dev/null 2>&1
run 1 "db check fails after an event was edited" db check
check "... naming event 5" grep -q "history event 5" <<<"$OUT"
cp "$T/saved.tdb" "$T/db/accounts.tdb"
tdbtool "$T/db/accounts.tdb" delete ev/7 >/dev/null 2>&1
run 1 "db check fails after an event was removed" db check
check "... naming event 7" grep -q "history event 7 is missing" <<<"$OUT"
cp "$T/saved.tdb" "$T/db/accounts.tdb"
run 0 "the restored database checks clean" db check

[ "$fails" -eq 0 ]
