#!/bin/bash
# roster db export / import: round trips in both formats, checks before
# writes, line-numbered rejections, --dry-run, --all-or-nothing, batches,
# and adopting /etc/passwd + /etc/shadow users with their crypt(3) hashes.
. "$(dirname "$0")/lib.sh"
umask 077 # exports hold hashes

# A second, empty database with the same system files.
sed "s#^dir = .*#dir = $T/dbb#" "$T/roster.conf" >"$T/b.conf"
B=(--config "$T/b.conf")
bfp() { tdbdump "$T/dbb/accounts.tdb" | sort | sha256sum; cat "$T/dbb/view/"* 2>/dev/null | sha256sum; }

roster role add dev --description 'Developers, "core" team' --services sshd,login </dev/null >/dev/null
roster role add ops </dev/null >/dev/null
roster user add alice --email Alice@Example.org --first Alice --last 'van Dijk' --role dev --role ops \
	--expires 2031-01-02 </dev/null >/dev/null
roster user add bob --email bob@example.org --supervisor alice --must-change-password </dev/null >/dev/null
printf 'ci.a long api password 1\n' | roster api reset alice --label ci --services sshd --password-stdin >/dev/null
roster api enable alice >/dev/null
roster user add gone --email gone@example.org </dev/null >/dev/null
roster user delete gone >/dev/null
roster user add off --email off@example.org --inactive </dev/null >/dev/null
roster invite send new@example.org --role dev --no-email </dev/null >/dev/null

# --- round trips
roster db export >"$T/a.json"
run 0 "export is written (JSON Lines)" db export
check "... one record per line: meta, 3 roles, 5 users, 1 API password" \
	[ "$(grep -c . "$T/a.json")" = 10 ]
check "... every line is a JSON object with a type" \
	bash -c "jq -e -s 'all(.[]; has(\"type\"))' '$T/a.json' >/dev/null"
check "... the tombstone is exported, so its name and uid stay reserved" \
	bash -c "jq -e -s 'any(.[]; .name == \"gone\" and .status == \"deleted\" and .uid > 0)' '$T/a.json' >/dev/null"
check "... hashes are exported" grep -q '"password_hash":"\$argon2id\$' "$T/a.json"
run 0 "import of the export into an empty database" "${B[@]}" db import "$T/a.json"
check "... reports what it wrote" grep -q "5 users, 3 roles, 1 API passwords imported in 1 transactions; 0 rejected" <<<"$OUT"
roster "${B[@]}" db export >"$T/b.json"
check "export -> import -> export gives the same bytes (JSON)" cmp -s "$T/a.json" "$T/b.json"
run 0 "the imported database passes db check" "${B[@]}" db check
check "... the supervisor, roles and API label survive" bash -c \
	"'$ROSTER' --config '$T/b.conf' --json user show bob | jq -e '.supervisor == \"alice\"' >/dev/null &&
	 '$ROSTER' --config '$T/b.conf' --json role show dev | jq -e '.members | index(\"alice\")' >/dev/null &&
	 '$ROSTER' --config '$T/b.conf' --json api list alice | jq -e '.[0].label == \"ci\"' >/dev/null"
check "... and alice's direct reports are bob (the reports/ index the import wrote)" bash -c \
	"'$ROSTER' --config '$T/b.conf' --json user show alice | jq -e '.reports == [\"bob\"]' >/dev/null"
check "... and the pending invitation is listed (status/invited)" bash -c \
	"'$ROSTER' --config '$T/b.conf' --json invite list | jq -e 'map(.name) == [\"new\"]' >/dev/null"
check "... the imported users resolve through the view (same uid)" bash -c \
	"[ \"\$('$ROSTER' --config '$T/b.conf' --json user show alice | jq .uid)\" = \"\$('$ROSTER' --json user show alice | jq .uid)\" ]"
run 1 "a deleted user's name is still never reused after the import" "${B[@]}" user add gone --email g2@example.org
run 0 "a new user after the import gets a fresh uid" "${B[@]}" user add carl --email carl@example.org
check "... above every imported id (the counter came along)" bash -c \
	"[ \$('$ROSTER' --config '$T/b.conf' --json user show carl | jq .uid) -gt \$(jq -s 'map(.uid // .gid // 0) | max' '$T/a.json') ]"
run 0 "history records the import per user" "${B[@]}" --json user history alice
check "... as user.import, by the importer" bash -c "jq -e '.[0].action == \"user.import\"' <<<'$OUT' >/dev/null"

roster db export --format csv >"$T/a.csv"
rm -rf "$T/dbb"
run 0 "import of the CSV export into an empty database" "${B[@]}" db import "$T/a.csv"
roster "${B[@]}" db export --format csv >"$T/b.csv"
check "export -> import -> export gives the same bytes (CSV)" cmp -s "$T/a.csv" "$T/b.csv"
check "... a description with a comma and quotes is quoted by RFC 4180" \
	grep -q '"Developers, ""core"" team"' "$T/a.csv"
roster "${B[@]}" db export >"$T/b2.json"
check "the CSV round trip gives the same database as the JSON one" cmp -s "$T/a.json" "$T/b2.json"

OUT=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$ROSTER" db export 2>&1 >/dev/null); RC=$?
check "export as a non-root user is refused (hashes)" [ "$RC" = 1 ]
check "... saying why" grep -q "password hashes" <<<"$OUT"
refused 2 "an unknown export format is a usage error" db export --format xml

# --- many users: the export's walk hands records to a formatter in 64 KiB
# packs, the lines fill 1 MiB chunks (about 3 MB here), and they are sorted
# by the first 8 bytes of the name, then the rest.
# 6,000 users in a shuffled order, many sharing a 16-byte prefix, names of
# 1 to 32 bytes, and one user in 2,500 roles, whose record (about 85 KB)
# is larger than a pack.
sed "s#^dir = .*#dir = $T/dbm#; s#^uid_max = .*#uid_max = 999999#" "$T/roster.conf" >"$T/m.conf"
sed "s#^dir = .*#dir = $T/dbm2#; s#^uid_max = .*#uid_max = 999999#" "$T/roster.conf" >"$T/m2.conf"
HASH=$(jq -r 'select(.password_hash) | .password_hash' "$T/a.json" | head -n 1)
awk -v h="$HASH" 'BEGIN {
	for (i = 0; i < 2500; i++)
		printf "{\"type\":\"role\",\"name\":\"role-with-a-long-name-%09d\"}\n", i
	printf "{\"type\":\"user\",\"name\":\"joiner\",\"email\":\"joiner@example.org\",\"roles\":["
	for (i = 0; i < 2500; i++)
		printf "%s\"role-with-a-long-name-%09d\"", i ? "," : "", i
	print "]}"
	for (i = 0; i < 6000; i++) {
		j = (i * 7919) % 6000
		if (j % 3 == 0)
			n = sprintf("sharedprefix16by%05d", j)
		else if (j % 3 == 1)
			n = sprintf("u%d", j)
		else
			n = sprintf("z%031d", j)
		printf "{\"type\":\"user\",\"name\":\"%s\",\"email\":\"%s@example.org\",\"first\":\"Zoë\",\"password_hash\":\"%s\"}\n", n, n, h
	}
}' >"$T/many.json"
run 0 "6,000 users and a user in 2,500 roles are imported" --config "$T/m.conf" db import "$T/many.json"
roster --config "$T/m.conf" db export >"$T/m1.json"
check "... and exported: 6,001 users, 2,501 roles (the admin role too)" \
	[ "$(grep -c '"type":"user"' "$T/m1.json")/$(grep -c '"type":"role"' "$T/m1.json")" = 6001/2501 ]
check "... the users in byte order of their names" \
	bash -c "jq -r 'select(.type == \"user\") | .name' '$T/m1.json' | LC_ALL=C sort -c"
check "... every imported user, once" bash -c "cmp -s \
	<(jq -r 'select(.type == \"user\") | .name' '$T/m1.json') \
	<(jq -r 'select(.type == \"user\") | .name' '$T/many.json' | LC_ALL=C sort)"
check "... the user larger than a pack with all 2,500 roles" bash -c \
	"jq -e -s 'map(select(.name == \"joiner\"))[0].roles | length == 2500' '$T/m1.json' >/dev/null"
run 0 "... the export imports into an empty database" --config "$T/m2.conf" db import "$T/m1.json"
roster --config "$T/m2.conf" db export >"$T/m2.json"
check "... export -> import -> export gives the same bytes" cmp -s "$T/m1.json" "$T/m2.json"
roster --config "$T/m.conf" db export --format csv >"$T/m1.csv"
check "... and in CSV, the same users in the same order" bash -c "cmp -s \
	<(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if (\$i == \"name\") c = i }
		   \$1 == \"user\" { print \$c }' '$T/m1.csv') \
	<(jq -r 'select(.type == \"user\") | .name' '$T/m1.json')"
sed "s#^dir = .*#dir = $T/dbm3#; s#^uid_max = .*#uid_max = 999999#" "$T/roster.conf" >"$T/m3.conf"
run 0 "... so does the CSV export" --config "$T/m3.conf" db import "$T/m1.csv"
roster --config "$T/m3.conf" db export >"$T/m3.json"
check "... and the CSV, imported, gives the same database (a list field of 85 KB)" cmp -s "$T/m1.json" "$T/m3.json"
# A user holds at most 15,000 roles: a role change records both lists in
# one history field of at most 1 MiB.
greedy() { # greedy N: a user in N roles r0000000..., which do not exist
	awk -v n="$1" 'BEGIN {
		printf "{\"type\":\"user\",\"name\":\"greedy\",\"email\":\"greedy@example.org\",\"roles\":["
		for (i = 0; i < n; i++)
			printf "%s\"r%07d\"", i ? "," : "", i
		print "]}"
	}'
}
greedy 15001 >"$T/greedy.json"
run 1 "a user in 15,001 roles is rejected" --config "$T/m.conf" db import "$T/greedy.json"
check "... saying so" grep -q "rejected: field roles: more than 15000 names" <<<"$ERR"
greedy 15000 >"$T/greedy.json"
run 1 "a user in 15,000 roles passes that limit (and meets the next: no such role)" \
	--config "$T/m.conf" db import "$T/greedy.json"
check "... saying so" grep -q "rejected: no such role: r0000000" <<<"$ERR"
{ echo 'type,name,email,roles'; printf 'user,greedy,greedy@example.org,"'; seq -f 'r%07g' 0 15000 | paste -sd, | tr -d '\n'; echo '"'; } >"$T/greedy.csv"
run 1 "a CSV list of 15,001 names is rejected too" --config "$T/m.conf" db import "$T/greedy.csv"
check "... saying so" grep -q "rejected: field roles: more than 15000 names" <<<"$ERR"
# With 15,000 roles that exist, the limit holds for role assign too, and
# the user can still lose a role (its history event fits).
awk 'BEGIN {
	for (i = 0; i < 15001; i++)
		printf "{\"type\":\"role\",\"name\":\"r%07d\"}\n", i
}' >"$T/roles15k.json"
greedy 15000 >>"$T/roles15k.json"
run 0 "15,001 roles and a user in 15,000 of them are imported" --config "$T/m.conf" db import "$T/roles15k.json"
run 1 "role assign refuses the user a 15,001st role" --config "$T/m.conf" role assign r0015000 greedy
check "... saying so" grep -q "a user holds at most 15000 roles" <<<"$ERR"
run 0 "role revoke takes one away" --config "$T/m.conf" role revoke r0000000 greedy
run 0 "... and then the 15,000th can be given" --config "$T/m.conf" role assign r0015000 greedy

# --- an empty database, and a full disk
sed "s#^dir = .*#dir = $T/dbe#" "$T/roster.conf" >"$T/e.conf"
roster --config "$T/e.conf" role add solo </dev/null >/dev/null
run 0 "a database without users exports" --config "$T/e.conf" db export
check "... its meta record and two roles (solo, the admin role)" \
	[ "$(grep -c '"type":"meta"' <<<"$OUT")/$(grep -c '"type":"role"' <<<"$OUT")/$(grep -c . <<<"$OUT")" = 1/2/3 ]
if [ -w /dev/full ]; then
	"$ROSTER" db export >/dev/full 2>"$T/err"; RC=$?; ERR=$(cat "$T/err")
	check "an export to a full disk fails" [ "$RC" = 1 ]
	check "... saying why" grep -q "cannot write the export: No space left on device" <<<"$ERR"
fi

# --- importing over itself: every user is rejected, nothing changes
refused 1 "importing a database's own export rejects every user and changes nothing" db import "$T/a.json"
check "... each with its line and reason" grep -q "a.json:[0-9]*: rejected: user alice already exists" <<<"$ERR"

# --- checks before writes: line numbers, dry run, all or nothing
rm -rf "$T/dbb"
cat >"$T/mixed.json" <<'EOF'
{"type":"role","name":"qa"}
{"type":"user","name":"u1","email":"u1@example.org","roles":["qa"]}

{"type":"user","name":"u2","email":"U1@EXAMPLE.ORG"}
{"type":"user","name":"u3","email":"u3@example.org","shoe_size":44}
{"type":"user","name":"u4","email":"u4@example.org","supervisor":"u1"}
{"type":"user","name":"u5","email":"u5@example.org" 
{"type":"user","name":"Bad:Name","email":"b@example.org"}
{"type":"user","name":"u6","email":"u6@example.org","roles":["nosuchrole"]}
{"type":"user","name":"u7","email":"u7@example.org","uid":0}
{"type":"user","name":"u8","email":"u8@example.org","uid":70000}
{"type":"user","name":"u9","email":"u9@example.org","uid":70000}
{"type":"user","name":"u10","email":"u10@example.org","uid":65540}
{"type":"user","name":"u11","email":"u11@example.org","password_hash":"$1$salt$abcdefghijklmnopqrstuv"}
{"type":"user","name":"u12","email":"u12@example.org","expires":"2026-02-30"}
{"type":"user","name":"u13","email":"u13@example.org","name":"again"}
{"type":"user","name":"u14","email":"u14@example.org","home":"/home/../etc"}
{"type":"user","name":"u15","email":"u15@example.org","first":"Evil\nName"}
{"type":"user","name":"u16","status":"deleted"}
{"type":"user","name":"u17","email":"u17@example.org","supervisor":"u6"}
EOF
roster "${B[@]}" role add seed </dev/null >/dev/null # creates the database
before=$(bfp)
run 1 "--dry-run checks every record" "${B[@]}" db import --dry-run "$T/mixed.json"
check "... and says nothing was written" grep -q "nothing written (--dry-run)" <<<"$OUT"
check "... the database is unchanged" [ "$before" = "$(bfp)" ]
for want in "mixed.json:4: rejected: email U1@EXAMPLE.ORG is also given on line 2" \
	'mixed.json:5: rejected: unknown field "shoe_size"' \
	"mixed.json:7: rejected: not valid JSON" \
	"mixed.json:8: rejected: invalid user name 'Bad:Name'" \
	"mixed.json:9: rejected: no such role: nosuchrole" \
	"mixed.json:10: rejected: uid 0 is root's" \
	"mixed.json:12: rejected: uid 70000 is also given on line 11" \
	"mixed.json:13: rejected: uid 65540 is already used in $T/passwd" \
	"mixed.json:14: rejected: password_hash is neither argon2id" \
	"mixed.json:15: rejected: field expires: '2026-02-30' is not a date" \
	"mixed.json:16: rejected: not valid JSON: duplicate object key" \
	"mixed.json:17: rejected: invalid home directory" \
	"mixed.json:18: rejected: invalid first or last name" \
	"mixed.json:19: rejected: a deleted user needs its uid" \
	"mixed.json:20: rejected: no such supervisor: u6"; do
	check "... reports: ${want#mixed.json:}" grep -qF "$want" <<<"$ERR"
done
check "... and no other line" [ "$(grep -c rejected: <<<"$ERR")" = 15 ]
run 1 "--all-or-nothing with rejected records" "${B[@]}" db import --all-or-nothing "$T/mixed.json"
check "... writes nothing" [ "$before" = "$(bfp)" ]
check "... and says so" grep -q "15 of 19 records rejected: nothing imported (--all-or-nothing)" <<<"$ERR"
run 1 "without it, the valid records are imported (exit 1: some were rejected)" "${B[@]}" db import "$T/mixed.json"
check "... u1, u4, u8 and role qa are there" bash -c \
	"for u in u1 u4 u8; do '$ROSTER' --config '$T/b.conf' user show \$u >/dev/null || exit 1; done;
	 '$ROSTER' --config '$T/b.conf' role show qa >/dev/null"
check "... the rejected ones are not" bash -c "! '$ROSTER' --config '$T/b.conf' user show u2 2>/dev/null"
check "... u8 kept its uid 70000" bash -c "'$ROSTER' --config '$T/b.conf' --json user show u8 | jq -e '.uid == 70000' >/dev/null"
run 0 "... and db check passes" "${B[@]}" db check

# --- batches: each one transaction
rm -rf "$T/dbb"
for i in 1 2 3 4 5; do echo "{\"type\":\"user\",\"name\":\"b$i\",\"email\":\"b$i@example.org\"}"; done >"$T/five.json"
run 0 "--batch 2 imports 5 users" "${B[@]}" --json db import --batch 2 "$T/five.json"
check "... in 3 transactions" bash -c "jq -e '.batches == 3 and .users == 5' <<<'$OUT' >/dev/null"
check "... with 5 distinct uids" bash -c \
	"[ \$('$ROSTER' --config '$T/b.conf' --json user list | jq '[.[].uid] | unique | length') = 5 ]"
refused 2 "--batch 0 is a usage error" db import --batch 0 "$T/five.json"
refused 2 "a missing file argument is a usage error" db import
refused 1 "a file that does not exist" db import "$T/nope.json"
refused 2 "--shadow without --from-passwd" db import --shadow "$T/passwd" "$T/five.json"

# --- CSV: syntax, NUL bytes, columns
printf 'type,name,email\nuser,c1,c1@example.org\nuser,"c2",c2@example.org\nuser,c3,"c3@exa\0mple.org"\nuser,c4\n' >"$T/bad.csv"
refused 1 "a CSV with a NUL byte and a short row" db import --all-or-nothing "$T/bad.csv"
check "... the NUL byte is named" grep -q "bad.csv:4: rejected: field email: contains a NUL byte" <<<"$ERR"
check "... the short row is named" grep -q "bad.csv:5: rejected: 2 fields where the header has 3" <<<"$ERR"
printf 'type,name,colour\nuser,c1,blue\n' >"$T/col.csv"
refused 1 "a CSV header with an unknown column" db import "$T/col.csv"
check "... named" grep -q "unknown or repeated column 'colour'" <<<"$ERR"
printf 'type,name,description\nrole,r1,"multi\nline"\nrole,r2,"unterminated\n' >"$T/q.csv"
refused 1 "an unterminated quote" db import --all-or-nothing "$T/q.csv"
check "... the embedded newline is a control character for a description" grep -q "q.csv:2: rejected: invalid description" <<<"$ERR"

# --- adopting /etc/passwd and /etc/shadow
rm -rf "$T/dbb"
yes=$(perl -e 'print crypt("alice pw 1", q($y$j9T$F5Jx5fExrKuPp53xLKQ..1))')
sha=$(perl -e 'print crypt("bob pw 1", q($6$saltsaltsalt))')
md5=$(perl -e 'print crypt("old pw 1", q($1$saltsalt))')
cat >"$T/sys.passwd" <<EOF
root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
madam:x:1000:1000:Madam Curie,,,:/home/madam:/bin/bash
bob:x:1001:1001:Bob:/home/bob:/bin/bash
locked:x:1002:100::/home/locked:/bin/bash
keys:x:1003:1003::/home/keys:/bin/sh
old:x:1004:1004::/home/old:/bin/bash
low:x:900:900::/home/low:/bin/bash
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >"$T/sys.shadow" <<EOF
root:*:19000:0:99999:7:::
madam:$yes:19000:0:99999:7:::
bob:$sha:0:0:99999:7:::
locked:!$sha:19000:0:99999:7::20800:
keys:*:19000:0:99999:7:::
old:$md5:19000:0:99999:7:::
EOF
cp "$T/sys.passwd" "$T/passwd.b"
printf 'root:x:0:\nusers:x:100:\nmadam:x:1000:\nbob:x:1001:\nkeys:x:1003:\n' >"$T/group.b"
sed -i "s#^passwd = .*#passwd = $T/passwd.b#; s#^group = .*#group = $T/group.b#" "$T/b.conf"
run 1 "--from-passwd adopts the users (one weak hash rejected)" "${B[@]}" db import \
	--from-passwd "$T/sys.passwd" --shadow "$T/sys.shadow"
check "... 4 users adopted" grep -q "4 users" <<<"$OUT"
check "... system accounts and nobody left alone" grep -q "4 system accounts (uid below 1000, or nobody)" <<<"$OUT"
check "... md5crypt is refused, with its line" grep -q "sys.passwd:7: rejected: password hash scheme '\$1\$s...' is not adopted" <<<"$ERR"
roster "${B[@]}" db export >"$T/adopted.json"
j() { jq -s -e "$1" "$T/adopted.json" >/dev/null; }
check "... uids, gids and homes are kept" j 'any(.[]; .name == "madam" and .uid == 1000 and .gid == 1000 and .home == "/home/madam")'
check "... the GECOS name is split into first and last" j 'any(.[]; .name == "madam" and .first == "Madam" and .last == "Curie")'
check "... the yescrypt hash is kept as it is" j "any(.[]; .name == \"madam\" and .password_hash == \"$yes\")"
check "... the sha512crypt hash is kept, and lastchg 0 means must change" \
	j "any(.[]; .name == \"bob\" and .password_hash == \"$sha\" and .must_change == true)"
check "... a locked (!) hash makes a disabled account that keeps the hash, and the expiry date" \
	j "any(.[]; .name == \"locked\" and .status == \"disabled\" and .password_hash == \"$sha\" and .expires == \"2026-12-13\" and .gid == 100)"
check "... '*' is an account without a password" j 'any(.[]; .name == "keys" and (has("password_hash") | not) and .status == "active")'
check "... low uids were not adopted" bash -c "! '$ROSTER' --config '$T/b.conf' user show low 2>/dev/null"
run 0 "... db check passes" "${B[@]}" db check
run 1 "doctor names the unfinished cut-over" "${B[@]}" doctor
check "... with what to remove" grep -q "madam is in $T/passwd.b and in roster" <<<"$OUT$ERR"
grep -v -E '^(madam|bob|locked|keys):' "$T/sys.passwd" >"$T/passwd.b"
printf 'root:x:0:\nusers:x:100:\n' >"$T/group.b"
OUT=$("$ROSTER" "${B[@]}" --json doctor 2>&1)
check "after the cut-over, doctor's cut-over check passes" \
	bash -c "jq -e '.[] | select(.check == \"cut-over\") | .ok' <<<'$OUT' >/dev/null"
run 1 "adopting again rejects each user (already in roster)" "${B[@]}" db import --from-passwd "$T/sys.passwd" --shadow "$T/sys.shadow"
check "... by name" grep -q "rejected: user madam already exists" <<<"$ERR"
refused 2 "--from-passwd and a FILE together is a usage error" db import --from-passwd "$T/sys.passwd" "$T/a.json"
refused 2 "--min-uid must be a number" db import --from-passwd "$T/sys.passwd" --min-uid -5
run 0 "--min-uid 900 --dry-run would adopt low too" "${B[@]}" --json db import --from-passwd "$T/passwd.b" --min-uid 900 --dry-run
check "... (low is valid)" bash -c "jq -e '.rejected == 0 and .records == 2' <<<'$OUT' >/dev/null"

# --- user list beyond 10,000 users streams (two walks, no sorting)
rm -rf "$T/dbb"
awk 'BEGIN { for (i = 0; i < 10001; i++) printf "{\"type\":\"user\",\"name\":\"s%05d\",\"email\":\"s%05d@example.org\"}\n", i, i }' >"$T/many.json"
run 0 "10,001 users import" "${B[@]}" db import "$T/many.json"
roster "${B[@]}" user list >"$T/list.txt" </dev/null
check "user list of 10,001 users lists each once, under one header" bash -c \
	"[ \"\$(tail -n +2 '$T/list.txt' | awk '{print \$1}' | sort -u | wc -l)\" = 10001 ] && head -1 '$T/list.txt' | grep -q '^NAME  *UID'"
col=$(head -1 "$T/list.txt" | grep -bo UID | cut -d: -f1)
check "... in aligned columns (every uid starts where the header's UID does)" bash -c \
	"! awk -v c=$col 'NR > 1 && substr(\$0, c + 1, 1) !~ /[0-9]/' '$T/list.txt' | grep -q ."
roster "${B[@]}" --json user list >"$T/list.json" </dev/null
check "... --json gives one array of 10,001 users" [ "$(jq length "$T/list.json")" = 10001 ]
run 0 "db check passes after a bulk import (the view was rebuilt once)" "${B[@]}" db check
check "... and NSS-side view stamps match: no stale view left" bash -c "! grep -q 'view' <<<'$OUT$ERR'"

echo "# $fails failed"
[ "$fails" -eq 0 ]
