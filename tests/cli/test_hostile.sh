#!/bin/bash
# Hostile input: every command and every option of roster, fed values that
# must be refused.  One row per case; each row must exit 1 (refused) or 2
# (usage), say why in a message that matches its pattern, stay a short,
# printable message (no "(null)", no raw control bytes, no echo of a huge
# value), not crash or hang, and leave both databases byte for byte as they
# were (fingerprint: tdbdump of accounts.tdb and every view byte).
#
# A coverage check at the end reads the commands and options from
# `roster --help` and each command's --help (and the option tables in
# cli/*.c) and fails for any option or argument that no row feeds: a new
# option cannot slip past this table.
. "$(dirname "$0")/lib.sh"

# --- fixtures: a database with something to hit
cat >"$T/mailer" <<'MAILER'
#!/bin/sh
cat >/dev/null
MAILER
chmod 755 "$T/mailer"
cat >>"$T/roster.conf" <<CONF
[invite]
mail_command = $T/mailer
template = $PWD/conf/invite.mail
welcome_template = $PWD/conf/welcome.mail
CONF
roster role add analyst --services sshd >/dev/null
roster user add alice --email alice@example.org --role roster-admin </dev/null >/dev/null
roster user add bob --email bob@example.org --role analyst --supervisor alice </dev/null >/dev/null
roster user add carol --email carol@example.org --inactive </dev/null >/dev/null
roster api enable bob >/dev/null
roster api reset bob --label deploy >/dev/null
roster invite send jane@example.org --role analyst --no-email >/dev/null

# A second database whose id range (two ids) is full: the admin role took
# the first, a user the second.
mkdir "$T/full" && chmod 755 "$T/full"
sed -e "s|^dir = .*|dir = $T/full/db|" -e 's/^uid_min = .*/uid_min = 70000/' \
	-e 's/^uid_max = .*/uid_max = 70001/' "$T/roster.conf" >"$T/full.conf"
"$ROSTER" --config "$T/full.conf" user add filler --email filler@example.org </dev/null >/dev/null
[ "$("$ROSTER" --config "$T/full.conf" user show filler --json | json .uid)" = 70001 ] ||
	notok "setup: the small id range did not fill as expected"

# --- hostile values
# Linux passes one argv word of at most 128 KiB (MAX_ARG_STRLEN): 128000
# bytes leave room for a prefix or suffix.  A megabyte comes through files.
BIG=$(head -c 128000 /dev/zero | tr '\0' a)
MIB=$(head -c 1048576 /dev/zero | tr '\0' a)
NL=$'new\nline'
BAD=$'\xff\xfe'       # not UTF-8
ESC=$'\e[31mred'      # a terminal escape
DOTS=/home/../etc
E=x@example.org       # a valid email, where one is needed

# Bytes that argv cannot carry (NUL, a megabyte) come through files.
printf 'a long enough pass\0word\n' >"$T/pw.nul"
{ printf '%s' "$MIB"; echo; } >"$T/pw.mib"
printf '\n' >"$T/pw.empty"
printf 'short\n' >"$T/pw.short"
printf 'default.short\n' >"$T/pw.apishort"   # an API password: LABEL.SECRET
printf 'deploy.a long enough secret\n' >"$T/pw.otherlabel"

# Configuration files, each broken in one way.
conf() { # conf NAME: the test's config with stdin appended, as $T/NAME.conf
	{ cat "$T/roster.conf"; cat; } >"$T/$1.conf"
}
printf '[users]\nhome_base = /home\0/../etc\n' | conf nul
printf '[invite]\nlogin_hint = %s\n' "$MIB" | conf bigline
# inih reads a line in pieces of 199 bytes: the tail of a long line must
# not become a key of its own (here dir, after a comment of padding).
printf '[database]\nhash_size = 1009 ;%s%s\n' "$(head -c 181 /dev/zero | tr '\0' x)" "dir = $T/evil" | conf inject
printf '[users]\nhome_base = /home/\xff\n' | conf utf8
printf '[users]\nhome_base = %s\n' "$DOTS" | conf homedots
printf '[users]\nshell = /bin/../bin/sh\n' | conf shelldots
printf '[ids]\nuid_min = 90000\nuid_max = 80000\n' | conf inverted
printf '[roles]\nadmin_role = a:b\n' | conf adminrole
printf '[bogus]\nkey = 1\n' | conf unknown
printf '[passwords]\nmin_length = -1\n' | conf dash
printf 'junk without a section or equals sign\n' >"$T/syntax.conf"
# Mail templates with a NUL byte, over a megabyte, or missing.
{ printf 'To: {email}\nSubject: x\n\nHello\0{code}\n'; } >"$T/nul.mail"
{ printf 'To: {email}\nSubject: x\n\n'; head -c 1100000 /dev/zero | tr '\0' a; echo; } >"$T/big.mail"
for m in nul big; do
	sed -e "s|^template = .*|template = $T/$m.mail|" \
		-e "s|^welcome_template = .*|welcome_template = $T/$m.mail|" "$T/roster.conf" >"$T/tpl-$m.conf"
done
sed -e "s|^template = .*|template = $T/../nonexistent/invite.mail|" \
	-e "s|^welcome_template = .*|welcome_template = $T/../nonexistent/welcome.mail|" \
	"$T/roster.conf" >"$T/tpl-missing.conf"
sed "s|^mail_command = .*|mail_command = $T/../nonexistent/sendmail -t|" "$T/roster.conf" >"$T/nomailer.conf"

# --- the row runner
declare -A covered
# A row that changed a database fails; the next row starts from a copy of
# the databases as they were, so that one failure does not cascade.
cp -a "$T/db" "$T/db.orig"
cp -a "$T/full/db" "$T/full/db.orig"
fingerprints() { echo "$(fingerprint "$T/db") $(fingerprint "$T/full/db")"; }
FP=$(fingerprints)
restore() {
	rm -rf "$T/db" "$T/full/db"
	cp -a "$T/db.orig" "$T/db"
	cp -a "$T/full/db.orig" "$T/full/db"
}
# A config that failed to load must never fall back to the default
# database: watch that it does not appear.
DEFAULT_DB=/var/lib/roster
[ -e "$DEFAULT_DB" ] && DEFAULT_DB=""
# shows ARGS printably and briefly, for the ok/not ok line
show() {
	local a out=""
	for a in "$@"; do
		if [ ${#a} -gt 40 ]; then a="${a:0:12}...(${#a} bytes)"; fi
		out+="$(printf '%q' "$a") "
	done
	printf '%s' "${out% }"
}

# t TARGET RC REGEX STDIN ARGS...: runs roster ARGS with STDIN (- for none)
# and checks everything the header promises.  TARGET names what the row
# attacks ("user add --first", "role assign USER", "--config"), for the
# coverage check.
t() {
	local target=$1 want=$2 re=$3 in=$4 rc why=() desc now
	shift 4
	covered[$target]=1
	desc="$target: $(show "$@")"
	[ "$in" = - ] && in=/dev/null
	timeout -k 5 20 "$ROSTER" "$@" <"$in" >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc -eq 124 ]; then
		why+=("hung")
	elif [ $rc -ge 128 ]; then
		why+=("crashed with signal $((rc - 128))")
	elif [ $rc -ne "$want" ]; then
		why+=("exit $rc, wanted $want")
	fi
	grep -Eq -- "$re" "$T/err" || why+=("stderr does not match /$re/")
	grep -q '(null)' "$T/err" && why+=("(null) in stderr")
	[ "$(stat -c %s "$T/err")" -le 8192 ] || why+=("stderr is $(stat -c %s "$T/err") bytes")
	LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$T/err" && why+=("raw control bytes in stderr")
	grep -q '^line' "$T/err" && why+=("a newline from \$NL echoed raw")
	head -1 "$T/err" | grep -Eq '^(roster: |usage: roster )' || why+=("stderr does not start with the message")
	iconv -f UTF-8 -t UTF-8 "$T/err" >/dev/null 2>&1 || why+=("stderr is not UTF-8")
	now=$(fingerprints)
	if [ "$now" != "$FP" ]; then
		why+=("the database changed")
		restore
	fi
	if [ ${#why[@]} -eq 0 ]; then
		ok "$desc"
	else
		notok "$desc: ${why[*]}; stderr: $(head -c 300 "$T/err" | tr '\n\0' '|@' | LC_ALL=C tr -c '[:print:]|' '?')"
	fi
}

# --- the table
#  target                        rc message                                   stdin          command
# global options
t --config                       1 'cannot load the configuration: .*No such file' - --config "$T/../nonexistent/roster.conf" role list
t --config                       2 '--config needs a file name'               -              --config '' role list
t --config                       2 '--config needs a file name'               -              role list --config -rf
t --config                       2 '--config needs a file name'               -              role list --config --json
t --config                       2 '--config needs a file name'               -              role list --config
t --config                       1 'cannot load the configuration: .*NUL'     -              --config /dev/zero role list
t --config                       1 'cannot load the configuration: .*Is a directory' -         --config "$T" role list
t --config                       1 'cannot load the configuration: .*No such file' -         --config "$T/$NL" role list
t --config                       1 'cannot load the configuration: .*nul.conf:[0-9]+: a NUL byte' - --config "$T/nul.conf" user add x --email "$E"
t --config                       1 'cannot load the configuration: .*larger than 1 MiB' -    --config "$T/bigline.conf" role add x
t --config                       1 'cannot load the configuration: .*longer than' -          --config "$T/inject.conf" role add x
t --config                       1 'bad value for \[users\] home_base'        -              --config "$T/utf8.conf" user add x --email "$E"
t --config                       1 'bad value for \[users\] home_base'        -              --config "$T/homedots.conf" user add x --email "$E"
t --config                       1 'bad value for \[users\] shell'            -              --config "$T/shelldots.conf" user add x --email "$E"
t --config                       1 'uid_min <= uid_max'                       -              --config "$T/inverted.conf" role add x
t --config                       1 'bad value for \[roles\] admin_role'       -              --config "$T/adminrole.conf" role list
t --config                       1 'unknown key \[bogus\] key'                -              --config "$T/unknown.conf" role list
t --config                       1 'bad value for \[passwords\] min_length'   -              --config "$T/dash.conf" role list
t --config                       1 'syntax error'                             -              --config "$T/syntax.conf" role list
t --json                         2 'unknown command'                          -              --json=yes role list
t --json                         2 'unexpected argument --json=1'             -              role list --json=1
t --json                         2 '--email needs a value'                    -              user add x --email --json
t --json                         1 'no such user: nosuch'                     -              --json user show nosuch
t --help                         2 'unknown command'                          -              --help=x
t --version                      2 'unknown command'                          -              --version=x
t COMMAND                        2 'unknown command'                          -              nosuch
t COMMAND                        2 'unknown command'                          -              "$NL"
t COMMAND                        2 'unknown command'                          -              "$BAD"
t COMMAND                        2 'unknown command .\\x1b\[31mred'           -              "$ESC"
t COMMAND                        2 'unknown command'                          -              "$BIG"
t COMMAND                        2 'unknown command'                          -              ''
t COMMAND                        2 'user needs one of these commands'         -              user nosuch
t COMMAND                        2 'usage: roster'                            -
# user add
t 'user add NAME'                1 'invalid user name'                        -              user add 'a:b' --email "$E"
t 'user add NAME'                1 'invalid user name'                        -              user add "$NL" --email "$E"
t 'user add NAME'                1 'invalid user name'                        -              user add "$BAD" --email "$E"
t 'user add NAME'                1 'invalid user name'                        -              user add "$BIG" --email "$E"
t 'user add NAME'                1 'invalid user name'                        -              user add '' --email "$E"
t 'user add NAME'                2 'unknown option -r'                        -              user add -rf --email "$E"
t 'user add NAME'                1 'already exists'                           -              user add bob --email "$E"
t 'user add NAME'                1 'is the name of a role|role .* exists'     -              user add analyst --email "$E"
t 'user add NAME'                2 'which user'                               -              user add --email "$E"
t 'user add NAME'                2 'one user name at a time'                  -              user add x y --email "$E"
t 'user add --email'             1 'invalid email'                            -              user add x --email 'a:b@example.org'
t 'user add --email'             1 'invalid email'                            -              user add x --email "a${NL}@example.org"
t 'user add --email'             1 'invalid email'                            -              user add x --email "$BAD@example.org"
t 'user add --email'             1 'invalid email'                            -              user add x --email "$BIG@example.org"
t 'user add --email'             1 'invalid email'                            -              user add x --email ''
t 'user add --email'             2 '--email needs a value'                    -              user add x --email -rf
t 'user add --email'             1 'already used by bob'                      -              user add x --email BOB@example.org
t 'user add --first'             1 'invalid first name'                       -              user add x --email "$E" --first 'Al:ice'
t 'user add --first'             1 'invalid first name'                       -              user add x --email "$E" --first "$NL"
t 'user add --first'             1 'invalid first name'                       -              user add x --email "$E" --first "$BAD"
t 'user add --first'             1 'invalid first name'                       -              user add x --email "$E" --first "$ESC"
t 'user add --first'             1 'invalid first name'                       -              user add x --email "$E" --first "$BIG"
t 'user add --first'             2 '--first needs a value'                    -              user add x --email "$E" --first -rf
t 'user add --first'             2 '--first needs a value'                    -              user add x --email "$E" --first --last
t 'user add --last'              1 'invalid last name'                        -              user add x --email "$E" --last 'a,b'
t 'user add --last'              1 'invalid last name'                        -              user add x --email "$E" --last "$NL"
t 'user add --last'              1 'invalid last name'                        -              user add x --email "$E" --last "$BAD"
t 'user add --last'              1 'invalid last name'                        -              user add x --email "$E" --last "$BIG"
t 'user add --last'              2 '--last needs a value'                     -              user add x --email "$E" --last -rf
t 'user add --role'              1 'no such role: nosuch'                     -              user add x --email "$E" --role nosuch
t 'user add --role'              1 'no such role'                             -              user add x --email "$E" --role 'a:b'
t 'user add --role'              1 'no such role'                             -              user add x --email "$E" --role "$BIG"
t 'user add --role'              1 'no such role'                             -              user add x --email "$E" --role ''
t 'user add --role'              2 '--role needs a value'                     -              user add x --email "$E" --role -rf
t 'user add --supervisor'        1 'no such supervisor: nosuch'               -              user add x --email "$E" --supervisor nosuch
t 'user add --supervisor'        1 'no such supervisor'                       -              user add x --email "$E" --supervisor "$NL"
t 'user add --supervisor'        1 'no such supervisor'                       -              user add x --email "$E" --supervisor ''
t 'user add --supervisor'        2 '--supervisor needs a value'               -              user add x --email "$E" --supervisor -rf
t 'user add --shell'             1 'is not listed in'                         -              user add x --email "$E" --shell /bin/../bin/sh
t 'user add --shell'             1 'is not listed in'                         -              user add x --email "$E" --shell "/bin/sh$NL"
t 'user add --shell'             1 'is not listed in'                         -              user add x --email "$E" --shell "/bin/$BAD"
t 'user add --shell'             1 'is not listed in'                         -              user add x --email "$E" --shell "/$BIG"
t 'user add --shell'             1 'is not listed in'                         -              user add x --email "$E" --shell ''
t 'user add --shell'             2 '--shell needs a value'                    -              user add x --email "$E" --shell -rf
t 'user add --home'              1 'invalid home directory'                   -              user add x --email "$E" --home "$DOTS"
t 'user add --home'              1 'invalid home directory'                   -              user add x --email "$E" --home /home/a:b
t 'user add --home'              1 'invalid home directory'                   -              user add x --email "$E" --home "/home/$NL"
t 'user add --home'              1 'invalid home directory'                   -              user add x --email "$E" --home "/home/$BAD"
t 'user add --home'              1 'invalid home directory'                   -              user add x --email "$E" --home "/$BIG"
t 'user add --home'              1 'invalid home directory'                   -              user add x --email "$E" --home relative
t 'user add --home'              1 'invalid home directory'                   -              user add x --email "$E" --home ''
t 'user add --home'              2 '--home needs a value'                     -              user add x --email "$E" --home -rf
t 'user add --inactive'          2 '--inactive takes no value'                -              user add x --email "$E" --inactive=yes
t 'user add --expires'           1 "invalid date '2026-02-30'"                -              user add x --email "$E" --expires 2026-02-30
t 'user add --expires'           1 'invalid date'                             -              user add x --email "$E" --expires 2026-13-01
t 'user add --expires'           1 'invalid date'                             -              user add x --email "$E" --expires 99999-01-01
t 'user add --expires'           1 'invalid date'                             -              user add x --email "$E" --expires tomorrow
t 'user add --expires'           1 'invalid date'                             -              user add x --email "$E" --expires ''
t 'user add --expires'           1 'invalid date'                             -              user add x --email "$E" --expires 1969-12-31
t 'user add --expires'           1 'invalid date'                             -              user add x --email "$E" --expires "$BIG"
t 'user add --expires'           2 '--expires needs a value'                  -              user add x --email "$E" --expires -1
t 'user add --password-stdin'    1 'NUL byte'                                 "$T/pw.nul"    user add x --email "$E" --password-stdin
t 'user add --password-stdin'    1 'longer than 512 bytes'                    "$T/pw.mib"    user add x --email "$E" --password-stdin
t 'user add --password-stdin'    1 'is empty'                                 "$T/pw.empty"  user add x --email "$E" --password-stdin
t 'user add --password-stdin'    1 'shorter than 12'                          "$T/pw.short"  user add x --email "$E" --password-stdin
t 'user add --password-stdin'    2 '--password-stdin takes no value'          -              user add x --email "$E" --password-stdin=yes
t 'user add --generate-password' 2 'exclude each other'                       -              user add x --email "$E" --generate-password --password-stdin
t 'user add --generate-password' 2 '--generate-password takes no value'       -              user add x --email "$E" --generate-password=20
t 'user add --must-change-password' 2 '--must-change-password takes no value' -              user add x --email "$E" --must-change-password=no
t 'user add --notify'            1 'template .*NUL byte'                      -              --config "$T/tpl-nul.conf" user add x --email "$E" --notify
t 'user add --notify'            1 'template .*larger than'                   -              --config "$T/tpl-big.conf" user add x --email "$E" --notify
t 'user add --notify'            1 'cannot read the template .*No such file'  -              --config "$T/tpl-missing.conf" user add x --email "$E" --notify
t 'user add --notify'            1 'cannot run the mail command'              -              --config "$T/nomailer.conf" user add x --email "$E" --notify
t 'user add --notify'            2 '--notify takes no value'                  -              user add x --email "$E" --notify=yes
t 'user add --bogus'             2 'unknown option --bogus'                   -              user add x --email "$E" --bogus
# every command that takes one user and nothing else
for cmd in 'user show' 'user history' 'user unlock' 'user enable' 'user disable' 'user delete' \
	'admin grant' 'admin revoke' 'api enable' 'api disable'; do
A=NAME; [ "${cmd%% *}" = user ] || A=USER
t "$cmd $A"                      1 'no such user: nosuch'                     -              $cmd nosuch
t "$cmd $A"                      1 'no such user'                             -              $cmd 'a:b'
t "$cmd $A"                      1 'no such user'                             -              $cmd "$NL"
t "$cmd $A"                      1 'no such user'                             -              $cmd "$BAD"
t "$cmd $A"                      1 'no such user'                             -              $cmd "$BIG"
t "$cmd $A"                      1 'no such user'                             -              $cmd ''
t "$cmd $A"                      2 'which user|unexpected argument'           -              $cmd -rf
t "$cmd $A"                      2 'which user|unexpected argument'           -              $cmd
t "$cmd $A"                      2 'which user|unexpected argument'           -              $cmd bob carol
done
t 'user enable NAME'             1 'bob is already active'                    -              user enable bob
t 'user disable NAME'            1 'carol is already disabled'                -              user disable carol
t 'user enable NAME'             1 'jane has a pending invitation'            -              user enable jane
t 'user delete NAME'             1 'alice is the last active admin'           -              user delete alice
t 'user show NAME'               1 'no such user: \\x1b\[31mred'              -              user show "$ESC"
t 'user show NAME'               1 'no such user: new\\nline'                 -              user show "$NL"
# user list
t 'user list --role'             1 'no such role: nosuch'                     -              user list --role nosuch
t 'user list --role'             1 'no such role'                             -              user list --role "$NL"
t 'user list --role'             1 'no such role'                             -              user list --role "$BIG"
t 'user list --role'             1 'no such role'                             -              user list --role ''
t 'user list --role'             2 '--role needs a value'                     -              user list --role -rf
t 'user list --status'           1 "unknown status 'bogus'"                   -              user list --status bogus
t 'user list --status'           1 'unknown status'                           -              user list --status deleted
t 'user list --status'           1 'unknown status'                           -              user list --status "$BAD"
t 'user list --status'           1 'unknown status'                           -              user list --status ''
t 'user list --status'           2 '--status needs a value'                   -              user list --status -rf
t 'user list --supervisor'       1 'no such user: nosuch'                     -              user list --supervisor nosuch
t 'user list --supervisor'       1 'no such user'                             -              user list --supervisor 'a:b'
t 'user list --supervisor'       1 'no such user'                             -              user list --supervisor "$BIG"
t 'user list --supervisor'       1 'no such user'                             -              user list --supervisor ''
t 'user list --supervisor'       2 '--supervisor needs a value'               -              user list --supervisor -rf
t 'user list --supervisor'       2 'unexpected argument bob'                  -              user list bob
# user edit
t 'user edit NAME'               1 'no such user: nosuch'                     -              user edit nosuch --first X
t 'user edit NAME'               1 'no such user'                             -              user edit "$NL" --first X
t 'user edit NAME'               1 'no such user'                             -              user edit "$BIG" --first X
t 'user edit NAME'               1 'no such user'                             -              user edit '' --first X
t 'user edit NAME'               2 'unknown option -r'                        -              user edit -rf --first X
t 'user edit NAME'               2 'nothing to change'                        -              user edit bob
t 'user edit --email'            1 'invalid email'                            -              user edit bob --email "a${NL}b@example.org"
t 'user edit --email'            1 'invalid email'                            -              user edit bob --email ''
t 'user edit --email'            1 'invalid email'                            -              user edit bob --email "$BIG"
t 'user edit --email'            1 'already used by alice'                    -              user edit bob --email alice@example.org
t 'user edit --email'            2 '--email needs a value'                    -              user edit bob --email -rf
t 'user edit --first'            1 'invalid first name'                       -              user edit bob --first 'a:b'
t 'user edit --first'            1 'invalid first name'                       -              user edit bob --first "$NL"
t 'user edit --first'            1 'invalid first name'                       -              user edit bob --first "$BAD"
t 'user edit --first'            1 'invalid first name'                       -              user edit bob --first "$BIG"
t 'user edit --first'            2 '--first needs a value'                    -              user edit bob --first --no-supervisor
t 'user edit --last'             1 'invalid last name'                        -              user edit bob --last 'x=y'
t 'user edit --last'             1 'invalid last name'                        -              user edit bob --last "$NL"
t 'user edit --last'             1 'invalid last name'                        -              user edit bob --last "$BAD"
t 'user edit --last'             1 'invalid last name'                        -              user edit bob --last ' padded '
t 'user edit --last'             2 '--last needs a value'                     -              user edit bob --last -rf
t 'user edit --supervisor'       1 'no such supervisor'                       -              user edit bob --supervisor nosuch
t 'user edit --supervisor'       1 'no such supervisor'                       -              user edit bob --supervisor ''
t 'user edit --supervisor'       1 'their own supervisor'                     -              user edit bob --supervisor bob
t 'user edit --supervisor'       2 'contradictory'                            -              user edit bob --supervisor alice --no-supervisor
t 'user edit --supervisor'       2 '--supervisor needs a value'               -              user edit bob --supervisor -rf
t 'user edit --no-supervisor'    2 '--no-supervisor takes no value'           -              user edit bob --no-supervisor=alice
t 'user edit --shell'            1 'is not listed in'                         -              user edit bob --shell /bin/../bin/sh
t 'user edit --shell'            1 'is not listed in'                         -              user edit bob --shell "$NL"
t 'user edit --shell'            1 'is not listed in'                         -              user edit bob --shell ''
t 'user edit --shell'            2 '--shell needs a value'                    -              user edit bob --shell -rf
t 'user edit --home'             1 'invalid home directory'                   -              user edit bob --home "$DOTS"
t 'user edit --home'             1 'invalid home directory'                   -              user edit bob --home "/srv/$NL"
t 'user edit --home'             1 'invalid home directory'                   -              user edit bob --home "/srv/$BAD"
t 'user edit --home'             1 'invalid home directory'                   -              user edit bob --home ''
t 'user edit --home'             2 '--home needs a value'                     -              user edit bob --home -rf
t 'user edit --expires'          1 'invalid date'                             -              user edit bob --expires 2026-02-30
t 'user edit --expires'          1 'invalid date'                             -              user edit bob --expires 2026-13-01
t 'user edit --expires'          1 'invalid date'                             -              user edit bob --expires 99999-01-01
t 'user edit --expires'          1 'invalid date'                             -              user edit bob --expires tomorrow
t 'user edit --expires'          1 'invalid date'                             -              user edit bob --expires ''
t 'user edit --expires'          2 'contradictory'                            -              user edit bob --expires 2030-01-01 --no-expiry
t 'user edit --expires'          1 'last active admin'                        -              user edit alice --expires 2000-01-01
t 'user edit --no-expiry'        2 '--no-expiry takes no value'               -              user edit bob --no-expiry=1
# user passwd
t 'user passwd NAME'             1 'no such user: nosuch'                     -              user passwd nosuch --generate-password
t 'user passwd NAME'             1 'no such user'                             -              user passwd "$BIG" --generate-password
t 'user passwd NAME'             1 'no such user'                             -              user passwd '' --generate-password
t 'user passwd NAME'             2 'unknown option -r'                        -              user passwd -rf --generate-password
t 'user passwd NAME'             2 'standard input is not a terminal'         -              user passwd bob
t 'user passwd --password-stdin' 1 'NUL byte'                                 "$T/pw.nul"    user passwd bob --password-stdin
t 'user passwd --password-stdin' 1 'longer than 512 bytes'                    "$T/pw.mib"    user passwd bob --password-stdin
t 'user passwd --password-stdin' 1 'is empty'                                 "$T/pw.empty"  user passwd bob --password-stdin
t 'user passwd --password-stdin' 1 'shorter than 12'                          "$T/pw.short"  user passwd bob --password-stdin
t 'user passwd --password-stdin' 2 '--password-stdin takes no value'          -              user passwd bob --password-stdin=x
t 'user passwd --generate-password' 2 'exclude each other'                    -              user passwd bob --generate-password --password-stdin
t 'user passwd --generate-password' 2 '--generate-password takes no value'    -              user passwd bob --generate-password=x
t 'user passwd --must-change-password' 2 '--must-change-password takes no value' -           user passwd bob --must-change-password=x
t 'user passwd --must-change-password' 1 'no such user'                       -              user passwd nosuch --must-change-password
# role add|edit
t 'role add ROLE'                1 'invalid role name'                        -              role add 'a:b'
t 'role add ROLE'                1 'invalid role name'                        -              role add "$NL"
t 'role add ROLE'                1 'invalid role name'                        -              role add "$BAD"
t 'role add ROLE'                1 'invalid role name'                        -              role add "$BIG"
t 'role add ROLE'                1 'invalid role name'                        -              role add ''
t 'role add ROLE'                1 'invalid role name'                        -              role add Upper
t 'role add ROLE'                2 'unknown option -r'                        -              role add -rf
t 'role add ROLE'                1 'already exists'                           -              role add analyst
t 'role add ROLE'                1 'is the name of a user'                    -              role add bob
t 'role add ROLE'                1 'already exists in'                        -              role add sysgroup
t 'role add ROLE'                2 'one role at a time'                       -              role add a b
t 'role edit ROLE'               1 'no such role: nosuch'                     -              role edit nosuch --description x
t 'role edit ROLE'               1 'no such role'                             -              role edit "$BIG" --description x
t 'role edit ROLE'               1 'no such role'                             -              role edit '' --description x
t 'role edit ROLE'               2 'nothing to change'                        -              role edit analyst
for verb in add edit; do
R=analyst; [ $verb = add ] && R=newrole
t "role $verb --description"     1 'invalid description'                      -              role $verb $R --description "$NL"
t "role $verb --description"     1 'invalid description'                      -              role $verb $R --description "$BAD"
t "role $verb --description"     1 'invalid description'                      -              role $verb $R --description "$ESC"
t "role $verb --description"     1 'invalid description'                      -              role $verb $R --description "$BIG"
t "role $verb --description"     2 '--description needs a value'              -              role $verb $R --description -rf
t "role $verb --description"     2 '--description needs a value'              -              role $verb $R --description --services
t "role $verb --services"        1 'invalid service list'                     -              role $verb $R --services 'ssh:d'
t "role $verb --services"        1 'invalid service list'                     -              role $verb $R --services ../../etc/shadow
t "role $verb --services"        1 'invalid service list'                     -              role $verb $R --services 'a,,b'
t "role $verb --services"        1 'invalid service list'                     -              role $verb $R --services 'sshd,'
t "role $verb --services"        1 'invalid service list'                     -              role $verb $R --services "$NL"
t "role $verb --services"        1 'invalid service list'                     -              role $verb $R --services "$BIG"
t "role $verb --services"        2 '--services needs a value'                 -              role $verb $R --services -rf
done
# role list|show|delete
t 'role list'                    2 'unexpected argument x'                    -              role list x
t 'role list'                    2 'unexpected argument'                      -              role list -rf
t 'role show ROLE'               1 'no such role: nosuch'                     -              role show nosuch
t 'role show ROLE'               1 'no such role'                             -              role show "$NL"
t 'role show ROLE'               1 'no such role'                             -              role show "$BIG"
t 'role show ROLE'               1 'no such role'                             -              role show ''
t 'role show ROLE'               2 'which role'                               -              role show -rf
t 'role delete ROLE'             1 'no such role: nosuch'                     -              role delete nosuch
t 'role delete ROLE'             1 'no such role'                             -              role delete "$BAD"
t 'role delete ROLE'             1 'no such role'                             -              role delete ''
t 'role delete ROLE'             1 'cannot be deleted'                        -              role delete roster-admin
t 'role delete ROLE'             2 'which role'                               -              role delete -rf
# role assign|revoke ROLE USER...
for verb in assign revoke; do
t "role $verb ROLE"              1 'no such role: nosuch'                     -              role $verb nosuch bob
t "role $verb ROLE"              1 'no such role'                             -              role $verb "$NL" bob
t "role $verb ROLE"              1 'no such role'                             -              role $verb "$BIG" bob
t "role $verb ROLE"              1 'no such role'                             -              role $verb '' bob
t "role $verb ROLE"              2 'unknown option -rf'                       -              role $verb -rf bob
t "role $verb USER"              1 'no such user: nosuch'                     -              role $verb analyst nosuch
t "role $verb USER"              1 'no such user'                             -              role $verb analyst "$BAD"
t "role $verb USER"              1 'no such user'                             -              role $verb analyst ''
t "role $verb USER"              2 'unknown option --json=1'                  -              role $verb analyst bob --json=1
t "role $verb USER"              2 'which users'                              -              role $verb analyst
done
t 'role assign USER'             1 'no such user: nosuch'                     -              role assign analyst carol nosuch
t 'role assign USER'             1 'bob already holds role analyst'           -              role assign analyst carol bob
t 'role revoke USER'             1 'carol does not hold role analyst'         -              role revoke analyst bob carol
t 'role assign USER'             2 'carol is named twice'                     -              role assign analyst carol carol
# invite send|list|resend|revoke
t 'invite send ADDR'             1 'invalid email'                            -              invite send 'not an email' --role analyst
t 'invite send ADDR'             1 'invalid email'                            -              invite send "a${NL}b@example.org" --role analyst
t 'invite send ADDR'             1 'invalid email'                            -              invite send 'a:b@example.org' --role analyst
t 'invite send ADDR'             1 'invalid email'                            -              invite send "$BAD@example.org" --role analyst
t 'invite send ADDR'             1 'invalid email'                            -              invite send "$BIG" --role analyst
t 'invite send ADDR'             1 'invalid email'                            -              invite send '' --role analyst
t 'invite send ADDR'             2 'unknown option -r'                        -              invite send -rf --role analyst
t 'invite send ADDR'             1 'already used by jane'                     -              invite send JANE@example.org --role analyst
t 'invite send ADDR'             2 'one address at a time'                    -              invite send a@example.org b@example.org --role analyst
t 'invite send --role'           1 'no such role: nosuch'                     -              invite send y@example.org --role nosuch
t 'invite send --role'           1 'no such role'                             -              invite send y@example.org --role "$NL"
t 'invite send --role'           1 'no such role'                             -              invite send y@example.org --role ''
t 'invite send --role'           2 '--role is required'                       -              invite send y@example.org
t 'invite send --role'           2 '--role needs a value'                     -              invite send y@example.org --role -rf
t 'invite send --username'       1 'invalid user name'                        -              invite send y@example.org --role analyst --username 'a:b'
t 'invite send --username'       1 'invalid user name'                        -              invite send y@example.org --role analyst --username "$NL"
t 'invite send --username'       1 'invalid user name'                        -              invite send y@example.org --role analyst --username "$BIG"
t 'invite send --username'       1 'invalid user name'                        -              invite send y@example.org --role analyst --username ''
t 'invite send --username'       1 'already exists'                           -              invite send y@example.org --role analyst --username bob
t 'invite send --username'       2 '--username needs a value'                 -              invite send y@example.org --role analyst --username -rf
t 'invite send --first'          1 'invalid first name'                       -              invite send y@example.org --role analyst --first 'a:b'
t 'invite send --first'          1 'invalid first name'                       -              invite send y@example.org --role analyst --first "$NL"
t 'invite send --first'          1 'invalid first name'                       -              invite send y@example.org --role analyst --first "$BAD"
t 'invite send --first'          2 '--first needs a value'                    -              invite send y@example.org --role analyst --first -rf
t 'invite send --last'           1 'invalid last name'                        -              invite send y@example.org --role analyst --last 'a\b'
t 'invite send --last'           1 'invalid last name'                        -              invite send y@example.org --role analyst --last "$BIG"
t 'invite send --last'           2 '--last needs a value'                     -              invite send y@example.org --role analyst --last -rf
t 'invite send --supervisor'     1 'no such supervisor'                       -              invite send y@example.org --role analyst --supervisor nosuch
t 'invite send --supervisor'     1 'no such supervisor'                       -              invite send y@example.org --role analyst --supervisor ''
t 'invite send --supervisor'     2 '--supervisor needs a value'               -              invite send y@example.org --role analyst --supervisor -rf
for bad in 99999d 0d 366d 3weeks tomorrow '' 2026-02-30 18446744073709551617m 1.5h; do
t 'invite send --expires'        1 "invalid --expires"                        -              invite send y@example.org --role analyst --expires "$bad"
done
t 'invite send --expires'        2 '--expires needs a value'                  -              invite send y@example.org --role analyst --expires -1d
t 'invite send --no-email'       2 '--no-email takes no value'                -              invite send y@example.org --role analyst --no-email=yes
t 'invite send (mail)'           1 'template .*NUL byte'                      -              --config "$T/tpl-nul.conf" invite send y@example.org --role analyst
t 'invite send (mail)'           1 'template .*larger than'                   -              --config "$T/tpl-big.conf" invite send y@example.org --role analyst
t 'invite send (mail)'           1 'cannot read the template'                 -              --config "$T/tpl-missing.conf" invite send y@example.org --role analyst
t 'invite send (mail)'           1 'cannot run the mail command'              -              --config "$T/nomailer.conf" invite send y@example.org --role analyst
t 'invite list'                  2 'unexpected argument x'                    -              invite list x
t 'invite list'                  2 'unexpected argument'                      -              invite list --bogus
t 'invite resend USER'           1 'no such user: nosuch'                     -              invite resend nosuch --no-email
t 'invite resend USER'           1 'no such user'                             -              invite resend "$NL" --no-email
t 'invite resend USER'           1 'no such user'                             -              invite resend "$BIG" --no-email
t 'invite resend USER'           1 'no such user'                             -              invite resend '' --no-email
t 'invite resend USER'           1 'bob has no pending invitation'            -              invite resend bob --no-email
t 'invite resend USER'           2 'unknown option -r'                        -              invite resend -rf --no-email
t 'invite resend USER'           2 'which user'                               -              invite resend --no-email
t 'invite resend --expires'      1 'invalid --expires'                        -              invite resend jane --expires 99999d
t 'invite resend --expires'      1 'invalid --expires'                        -              invite resend jane --expires tomorrow
t 'invite resend --expires'      1 'invalid --expires'                        -              invite resend jane --expires ''
t 'invite resend --expires'      2 '--expires needs a value'                  -              invite resend jane --expires -5m
t 'invite resend --no-email'     2 '--no-email takes no value'                -              invite resend jane --no-email=1
t 'invite resend (mail)'         1 'template .*NUL byte'                      -              --config "$T/tpl-nul.conf" invite resend jane
t 'invite resend (mail)'         1 'template .*larger than'                   -              --config "$T/tpl-big.conf" invite resend jane
t 'invite revoke USER'           1 'no such user: nosuch'                     -              invite revoke nosuch
t 'invite revoke USER'           1 'no such user'                             -              invite revoke "$BAD"
t 'invite revoke USER'           1 'no such user'                             -              invite revoke ''
t 'invite revoke USER'           1 'bob has no pending invitation'            -              invite revoke bob
t 'invite revoke USER'           2 'which user'                               -              invite revoke -rf
# admin grant|revoke USER
t 'admin grant USER'             1 'alice already holds role roster-admin'    -              admin grant alice
t 'admin revoke USER'            1 'bob does not hold role roster-admin'      -              admin revoke bob
t 'admin revoke USER'            1 'last active admin'                        -              admin revoke alice
# api enable|disable|reset|list|remove
t 'api enable USER'              1 'already enabled'                          -              api enable bob
t 'api disable USER'             1 'already disabled'                         -              api disable carol
t 'api enable USER'              1 'jane has not accepted the invitation'     -              api enable jane
t 'api reset USER'               1 'no such user: nosuch'                     -              api reset nosuch
t 'api reset USER'               1 'no such user'                             -              api reset "$BAD"
t 'api reset USER'               1 'no such user'                             -              api reset ''
t 'api reset USER'               2 'unknown option -r'                        -              api reset -rf
t 'api reset USER'               2 'which user'                               -              api reset
t 'api reset --label'            1 'invalid label'                            -              api reset bob --label 'a:b'
t 'api reset --label'            1 'invalid label'                            -              api reset bob --label "$NL"
t 'api reset --label'            1 'invalid label'                            -              api reset bob --label "$BAD"
t 'api reset --label'            1 'invalid label'                            -              api reset bob --label "$BIG"
t 'api reset --label'            1 'invalid label'                            -              api reset bob --label ''
t 'api reset --label'            1 'invalid label'                            -              api reset bob --label ../x
t 'api reset --label'            2 '--label needs a value'                    -              api reset bob --label -rf
t 'api reset --services'         1 'invalid service list'                     -              api reset bob --services 'a b'
t 'api reset --services'         1 'invalid service list'                     -              api reset bob --services ../etc
t 'api reset --services'         1 'invalid service list'                     -              api reset bob --services "$BIG"
t 'api reset --services'         2 '--services needs a value'                 -              api reset bob --services -rf
for bad in 2026-02-30 2026-13-01 99999-01-01 tomorrow '' "$BAD"; do
t 'api reset --expires'          1 'invalid date'                             -              api reset bob --expires "$bad"
done
t 'api reset --expires'          2 '--expires needs a value'                  -              api reset bob --expires -rf
t 'api reset --password-stdin'   1 'NUL byte'                                 "$T/pw.nul"    api reset bob --password-stdin
t 'api reset --password-stdin'   1 'longer than 512 bytes'                    "$T/pw.mib"    api reset bob --password-stdin
t 'api reset --password-stdin'   1 'is empty'                                 "$T/pw.empty"  api reset bob --password-stdin
t 'api reset --password-stdin'   1 'begins with its label'                    "$T/pw.short"  api reset bob --password-stdin
t 'api reset --password-stdin'   1 'begins with its label'                    "$T/pw.otherlabel" api reset bob --password-stdin
t 'api reset --password-stdin'   1 'shorter than 12'                          "$T/pw.apishort" api reset bob --password-stdin
t 'api reset --password-stdin'   2 '--password-stdin takes no value'          -              api reset bob --password-stdin=x
t 'api list USER'                1 'no such user: nosuch'                     -              api list nosuch
t 'api list USER'                1 'no such user'                             -              api list "$NL"
t 'api list USER'                1 'no such user'                             -              api list "$BIG"
t 'api list USER'                1 'no such user'                             -              api list ''
t 'api list USER'                2 'at most one user'                         -              api list -rf
t 'api list USER'                2 'at most one user'                         -              api list bob carol
t 'api remove USER'              1 'no such user: nosuch'                     -              api remove nosuch deploy
t 'api remove USER'              1 'no such user'                             -              api remove "$BIG" deploy
t 'api remove USER'              1 'no such user'                             -              api remove '' deploy
t 'api remove USER'              2 'which user and label'                     -              api remove -rf deploy
t 'api remove LABEL'             1 'bob has no API password labelled nosuch'  -              api remove bob nosuch
t 'api remove LABEL'             1 'no API password labelled'                 -              api remove bob "$NL"
t 'api remove LABEL'             1 'no API password labelled'                 -              api remove bob "$BIG"
t 'api remove LABEL'             1 'no API password labelled'                 -              api remove bob ''
t 'api remove LABEL'             1 'no API password labelled'                 -              api remove bob ../deploy
t 'api remove LABEL'             2 'which user and label'                     -              api remove bob -rf
t 'api remove LABEL'             2 'which user and label'                     -              api remove bob
# log
t 'log --user'                   1 'no such user: nosuch'                     -              log --user nosuch
t 'log --user'                   1 'no such user'                             -              log --user "$NL"
t 'log --user'                   1 'no such user'                             -              log --user "$BIG"
t 'log --user'                   1 'no such user'                             -              log --user ''
t 'log --user'                   2 '--user needs a value'                     -              log --user -rf
t 'log --actor'                  1 'invalid --actor'                          -              log --actor 'a:b'
t 'log --actor'                  1 'invalid --actor'                          -              log --actor "$NL"
t 'log --actor'                  1 'invalid --actor'                          -              log --actor "$BAD"
t 'log --actor'                  1 "invalid --actor 'a\\\\x1b"                   -              log --actor "a$ESC"
t 'log --actor'                  1 'invalid --actor'                          -              log --actor "$BIG"
t 'log --actor'                  1 'invalid --actor'                          -              log --actor ''
t 'log --actor'                  2 '--actor needs a value'                    -              log --actor -rf
for bad in 2026-02-30 2026-13-01 99999-01-01 tomorrow '' "$BIG"; do
t 'log --since'                  1 'invalid --since'                          -              log --since "$bad"
done
t 'log --since'                  2 '--since needs a value'                    -              log --since -1
for bad in 0 1e3 99999999999999999999 1000001 '' ' 5' 5x "$BIG"; do
t 'log --limit'                  1 'invalid --limit'                          -              log --limit "$bad"
done
t 'log --limit'                  2 '--limit needs a value'                    -              log --limit -1
t 'log --limit'                  2 'unexpected argument bob'                  -              log bob
# db check, doctor
t 'db check --repair'            2 '--repair takes no value'                  -              db check --repair=yes
t 'db check --repair'            2 'unknown option'                           -              db check --repair -rf
t 'db check --repair'            2 'unexpected argument x'                    -              db check x
t 'doctor'                       2 'unexpected argument x'                    -              doctor x
t 'doctor'                       2 'unexpected argument'                      -              doctor -rf
t 'doctor'                       2 'unexpected argument'                      -              doctor --bogus
# db export and db import: hostile options, and files of nothing but hostile
# records (so that a valid one cannot be written: the fingerprint holds)
j1() { printf '{"type":"user","name":"%s","email":"%s"%s}\n' "$1" "${2:-$E}" "${3:-}"; }
j1 'a:b' >"$T/imp-colon.json"
j1 "x1" "" ',"first":"a\nb"' >"$T/imp-gecos.json"
j1 "x1" "" ',"home":"/home/../etc"' >"$T/imp-dots.json"
j1 "x1" "" ',"expires":"2026-02-30"' >"$T/imp-date.json"
j1 "x1" "" ',"roles":["nosuchrole"]' >"$T/imp-role.json"
j1 "x1" "" ',"uid":0' >"$T/imp-uid0.json"
printf '{"type":"user","name":"x1","email":"\xff\xfe@example.org"}\n' >"$T/imp-latin1.json"
{ printf '{"type":"user","name":"x1","email":"'; printf '%s' "$MIB"; printf '"}\n'; } >"$T/imp-mib.json"
# A line over the 4 MiB limit: five 1 MiB strings.
{ printf '{"type":"user","name":"x1","email":"'; for i in 1 2 3 4 5; do printf '%s' "$MIB"; done; printf '"}\n'; } >"$T/imp-5mib.json"
printf 'type,name,email\nuser,x1,"a\0b@example.org"\n' >"$T/imp-nul.csv"
printf 'type,name,email\nuser,"x1\n' >"$T/imp-quote.csv"
j1 "one-more" >"$T/imp-full.json"
printf 'bad line\n' >"$T/bad.passwd"
t 'db export --format'           2 "unknown format 'xml'"                     -              db export --format xml
t 'db export --format'           2 'unknown format'                           -              db export --format "$BIG"
t 'db export --format'           2 '--format needs a value'                   -              db export --format -rf
t 'db export --format'           2 'unexpected argument x'                    -              db export x
t 'db import FILE'               2 'which file'                               -              db import
t 'db import FILE'               1 'cannot open file'                         -              db import "$T/../nonexistent.json"
t 'db import FILE'               1 'cannot open file'                         -              db import "$T/$NL"
t 'db import FILE'               2 'unexpected argument'                      -              db import "$T/imp-colon.json" "$T/imp-colon.json"
t 'db import FILE'               1 ":1: rejected: invalid user name 'a:b'"    -              db import "$T/imp-colon.json"
t 'db import FILE'               1 'rejected: invalid first or last name'    -              db import "$T/imp-gecos.json"
t 'db import FILE'               1 'rejected: invalid home directory'         -              db import "$T/imp-dots.json"
t 'db import FILE'               1 "rejected: field expires: '2026-02-30'"    -              db import "$T/imp-date.json"
t 'db import FILE'               1 'rejected: no such role: nosuchrole'       -              db import "$T/imp-role.json"
t 'db import FILE'               1 "rejected: uid 0 is root's"                -              db import "$T/imp-uid0.json"
t 'db import FILE'               1 'rejected: not valid JSON'                 -              db import "$T/imp-latin1.json"
t 'db import FILE'               1 'rejected: field email: longer than 4096'  -              db import "$T/imp-mib.json"
t 'db import FILE'               1 'rejected: the line is longer than'        -              db import "$T/imp-5mib.json"
t 'db import FILE'               1 'rejected: field email: contains a NUL'    -              db import "$T/imp-nul.csv"
t 'db import FILE'               1 'rejected: CSV syntax'                     -              db import "$T/imp-quote.csv"
t 'db import FILE'               1 'rejected: not valid JSON'                 "$T/imp-nul.csv" db import -
t 'db import --format'           2 "unknown format 'yaml'"                    -              db import --format yaml "$T/imp-colon.json"
t 'db import --format'           2 '--format needs a value'                   -              db import --format --dry-run "$T/imp-colon.json"
t 'db import --format'           2 'does not apply to --from-passwd'          -              db import --format csv --from-passwd "$T/bad.passwd"
t 'db import --dry-run'          2 '--dry-run takes no value'                 -              db import --dry-run=yes "$T/imp-colon.json"
t 'db import --dry-run'          1 'rejected: invalid user name'              -              db import --dry-run "$T/imp-colon.json"
t 'db import --all-or-nothing'   2 '--all-or-nothing takes no value'          -              db import --all-or-nothing=1 "$T/imp-colon.json"
t 'db import --all-or-nothing'   1 'nothing imported \(--all-or-nothing\)'   -              db import --all-or-nothing "$T/imp-colon.json"
t 'db import --batch'            2 '--batch wants a number'                   -              db import --batch=-5 "$T/imp-colon.json"
t 'db import --batch'            2 '--batch wants a number'                   -              db import --batch "$BIG" "$T/imp-colon.json"
t 'db import --batch'            2 '--batch wants at least 1'                 -              db import --batch 0 "$T/imp-colon.json"
t 'db import --batch'            2 '--batch needs a value'                    -              db import "$T/imp-colon.json" --batch
t 'db import --from-passwd'      1 'cannot open passwd file'                  -              db import --from-passwd "$T/../nonexistent"
t 'db import --from-passwd'      1 'rejected: not a passwd line'              -              db import --from-passwd "$T/bad.passwd"
t 'db import --from-passwd'      2 'give either FILE or --from-passwd'        -              db import --from-passwd "$T/bad.passwd" "$T/imp-colon.json"
t 'db import --shadow'           2 '--shadow goes with --from-passwd'         -              db import --shadow "$T/bad.passwd" "$T/imp-colon.json"
t 'db import --shadow'           1 'cannot open shadow file'                  -              db import --from-passwd "$T/bad.passwd" --shadow "$T/$NL"
t 'db import --min-uid'          2 '--min-uid wants a number'                 -              db import --from-passwd "$T/bad.passwd" --min-uid=-1
t 'db import --min-uid'          2 '--min-uid wants a number'                 -              db import --from-passwd "$T/bad.passwd" --min-uid 99999999999
t 'db import --min-uid'          2 '--min-uid wants a number'                 -              db import --from-passwd "$T/bad.passwd" --min-uid "$BIG"
t 'ids exhausted'                1 'rejected: the id range 70000-70001 is exhausted' -      --config "$T/full.conf" db import "$T/imp-full.json"

# an exhausted id range: every command that takes an id
t 'ids exhausted'                1 'id range 70000-70001 is exhausted'        -              --config "$T/full.conf" user add one-more --email one@example.org
t 'ids exhausted'                1 'id range 70000-70001 is exhausted'        -              --config "$T/full.conf" role add one-more
t 'ids exhausted'                1 'id range 70000-70001 is exhausted'        -              --config "$T/full.conf" invite send one@example.org --role roster-admin --no-email

# --- coverage: every option and argument the CLI has must have a row
# The commands, from roster --help; a command's options and arguments from
# its usage line ("--opt VALUE" is an option, any other capitalised word an
# argument).
discover() {
	local noun word cmd usage tok prev
	"$ROSTER" --help | sed -n '/^global options/,$p' | grep -oE -- '^ +--[a-z][a-z-]*' | tr -d ' '
	echo COMMAND
	"$ROSTER" --help | sed -n '/^commands:/,/^$/p' | sed '1d;$d' | while read -r noun word _; do
		cmd=$noun
		"$ROSTER" "$noun" "$word" --help 2>/dev/null | head -1 | grep -q "^usage: roster $noun $word\( \|$\)" &&
			cmd="$noun $word"
		usage=$("$ROSTER" $cmd --help | sed '/^$/,$d' | sed "1s/^usage: roster $cmd//" | tr '[]|.' '    ')
		[ -z "$(tr -d ' \n' <<<"$usage")" ] && echo "$cmd"
		prev=""
		for tok in $usage; do
			if [[ $tok == --* ]]; then
				echo "$cmd $tok"
				prev=opt
			else
				[[ $tok =~ ^[A-Z][A-Z-]*$ && $prev != opt ]] && echo "$cmd $tok"
				prev=""
			fi
		done
	done
}
targets=$(discover | sort -u)
[ "$(wc -l <<<"$targets")" -gt 60 ] || notok "coverage: discovered only $(wc -l <<<"$targets") options and arguments"
missing=0
while read -r target; do
	if [ -z "${covered[$target]:-}" ]; then
		notok "coverage: no hostile row for '$target'"
		missing=$((missing + 1))
	fi
done <<<"$targets"
# Every long option in cli/*.c's option tables must show in some usage,
# or the discovery above would not see it.
for opt in $(grep -ohE '\{ "[a-z][a-z-]*", (no|required|optional)_argument' cli/*.c | cut -d'"' -f2 | sort -u); do
	grep -qE -- " --$opt\$" <<<"$targets" || { notok "coverage: --$opt is in cli/*.c but in no command's --help"; missing=$((missing + 1)); }
done
for opt in $(grep -ohE 'cmp\(argv\[[a-z0-9]+\], "--[a-z][a-z-]*' cli/main.c | cut -d'"' -f2 | sort -u); do
	grep -qx -- "$opt" <<<"$targets" || { notok "coverage: global $opt is in cli/main.c but not in roster --help"; missing=$((missing + 1)); }
done
[ $missing -eq 0 ] && ok "coverage: all $(wc -l <<<"$targets") options and arguments have hostile rows"

if [ -n "$DEFAULT_DB" ] && [ -e "$DEFAULT_DB" ]; then
	notok "a hostile row wrote to the default database $DEFAULT_DB (remove it)"
fi

[ "$fails" -eq 0 ]
