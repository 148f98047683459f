#!/bin/bash
# make demo: roster end to end on a throwaway database.  Nothing outside a
# temporary directory is touched.  Each step prints the command, then its
# output.
set -eu
ROSTER=$PWD/cli/roster
D=$(mktemp -d /tmp/roster-demo.XXXXXX)
chmod 755 "$D"
trap 'rm -rf "$D"' EXIT
sed -e "s|^dir = .*|dir = $D/db|" -e "s|^hash_size = .*|hash_size = 1009|" \
	-e "s|^#opslimit =.*|opslimit = 1|" -e "s|^#memlimit =.*|memlimit = 8192|" \
	conf/roster.conf >"$D/roster.conf"
export ROSTER_CONFIG=$D/roster.conf

step() {
	printf '\n\033[1m$ %s\033[0m\n' "$*"
	"$@"
}
say() { printf '\n# %s\n' "$*"; }

say "A throwaway database in $D/db (argon2id kept cheap for the demo)."
roster() { "$ROSTER" "$@"; }
step roster role add analyst --description "Data analysts" --services sshd,login
step roster role add ops --description "Operations"
say "A user whose password is read from standard input (never from argv):"
printf 'correct horse battery staple\n' >"$D/pw"
step roster user add alice --email alice@example.org --first Alice --last Liddell \
	--role analyst --role ops --password-stdin <"$D/pw"
say "A user with a generated password, shown once:"
step roster user add bob --email bob@example.org --first Bob --last Builder \
	--supervisor alice --generate-password --must-change-password
say "A user without a password, disabled until further notice:"
step roster user add carol --email carol@example.org --first Carol --inactive
step roster user list
step roster role assign analyst bob
step roster user edit bob --last Marley --expires 2030-12-31
step roster --json user show bob
step roster role show analyst
say "Refused input changes nothing and says why:"
step roster user add 'eve:x' --email eve@example.org || true
step roster user add dave --email ALICE@example.org || true
step roster user edit bob --first 'Bob,Jr' || true
step roster user history bob
say "The files: accounts.tdb is root-only; the NSS view is world-readable and holds no secrets."
step ls -l "$D/db" 
step bash -c "ls -l '$D/db/view' | head -4"
step bash -c "grep -l -r -e example.org -e argon2 '$D/db/view' || echo 'no email or hash in any view file'"
step roster db check
say "A view that falls behind (as after a crash) is found and rebuilt:"
printf '%020d\n' 0 >"$D/db/view/generation"
step roster db check || true
step roster db check --repair
step roster db check
