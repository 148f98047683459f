#!/bin/bash
# tests/fuzz/mkcorpus.sh - regenerates the seed corpus in tests/fuzz/corpus/
# (`make fuzz-corpus`; root, after make all).  The output is committed: run
# this again only when a format changes, and commit what it writes.
#
# The real CLI makes a small database - roles with services, users with
# and without passwords, names, supervisor, expiry, an invitation, an API
# password, an edit, a revoke, a tombstone - and from it come:
#   fuzz_record/  every user, role, event, API password and member list
#                 (tests/fuzz/dumprecords: the selector byte + the record)
#   fuzz_view/    every view shard (a shard without entries has no file)
#   fuzz_config/  the shipped roster.conf, the one used here, and one that
#                 sets every key to something other than its default
# Files named regress-* (inputs that once found a bug) are kept.
set -eu
cd "$(dirname "$0")/../.."

C=tests/fuzz/corpus
# The CLI tests' throwaway database: $T, its roster.conf (cheap hashing)
# and system files, removed on exit.
ROSTER=$PWD/cli/roster
. tests/cli/lib.sh
roster() { "$ROSTER" "$@" >/dev/null; }

roster role add analyst --description "Data analysts" --services sshd,login
roster role add ops
roster user add alice --email alice@example.org --first Alice --last Liddell --role analyst \
	--generate-password
roster user add bob --email bob@example.org --first Bob --last Builder --supervisor alice \
	--role analyst --role ops --shell /bin/sh --expires 2030-12-31 --generate-password \
	--must-change-password
roster user add carol --email carol@example.org --inactive
roster user edit bob --last Marley
roster role revoke ops bob
roster admin grant alice
roster invite send jane.doe@example.org --role analyst --first Jane --no-email
roster api enable alice
roster api reset alice --label deploy --services webapi --expires 2030-06-30
roster user add dave --email dave@example.org
roster user delete dave

for d in fuzz_record fuzz_view fuzz_config; do
	mkdir -p "$C/$d"
	find "$C/$d" -type f ! -name 'regress-*' -delete
done

tests/fuzz/dumprecords "$T/db/accounts.tdb" "$C/fuzz_record"

cp "$T"/db/view/shard.* "$C/fuzz_view/"

cp conf/roster.conf "$C/fuzz_config/shipped.conf"
sed "s|$T|/tmp/roster-test|g" "$T/roster.conf" >"$C/fuzz_config/test.conf"
cat >"$C/fuzz_config/every-key.conf" <<'CONF'
; every key, none at its default
[database]
dir = /srv/roster
hash_size = 31
[ids]
uid_min = 1000
uid_max = 4294967293
[users]
shell = /bin/sh
home_base = /srv/home
primary_group = staff
[roles]
admin_role = admins
[passwords]
cost = sensitive
opslimit = 4
memlimit = 1048576
min_length = 512
[lockout]
deny = 0
fail_interval = 3600s
unlock_time = 1d
[system]
passwd = /srv/etc/passwd
group = /srv/etc/group
shells = /srv/etc/shells
nsswitch = /srv/etc/nsswitch.conf
pam_dir = /srv/etc/pam.d
nscd_conf = /srv/etc/nscd.conf
[invite]
lifetime = 7d
mail_command = /usr/bin/msmtp -t
template = /srv/etc/invite.mail
welcome_template = /srv/etc/welcome.mail
login_hint = ssh to bastion.example.org
CONF

for d in fuzz_record fuzz_view fuzz_config; do
	echo "$C/$d: $(find "$C/$d" -type f | wc -l) files, $(du -sk "$C/$d" | cut -f1) KiB"
done
