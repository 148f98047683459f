#!/bin/bash
# The password prompt on a real terminal (a pty driven by expect): asked
# twice with echo off, a mismatch refused, nothing changed by a refusal.
. "$(dirname "$0")/lib.sh"
roster role add staff >/dev/null

# prompt_add NAME FIRST SECOND: types the two entries at the prompts and
# prints everything the terminal showed.
prompt_add() {
	timeout 60 expect -c "
		log_user 1
		set timeout 10
		spawn $ROSTER user add $1 --email $1@example.org
		expect \"New password (empty for none): \"
		send -- \"$2\r\"
		expect \"Retype new password: \"
		send -- \"$3\r\"
		expect { eof {} timeout { exec kill -9 [exp_pid]; exit 99 } }
		catch wait result
		exit [lindex \$result 3]
	"
}

OUT=$(prompt_add alice 'a long enough secret' 'a long enough secret')
check "matching entries create the user" [ $? -eq 0 ]
check "the password is set" [ "$(roster user show alice --json | jq -r .has_password)" = true ]
check "echo is off: the terminal never shows the password" bash -c "! grep -q 'enough secret' <<<'$OUT'"

before=$(fingerprint)
OUT=$(prompt_add bob 'a long enough secret' 'a different secret!!')
check "mismatched entries are refused with exit 1" [ $? -eq 1 ]
check "... saying the passwords differ" grep -q "differ" <<<"$OUT"
check "... and nothing changed" [ "$before" = "$(fingerprint)" ]

OUT=$(timeout 60 expect -c "
	set timeout 10
	spawn $ROSTER user add carol --email carol@example.org
	expect \"New password (empty for none): \"
	send -- \"\r\"
	expect { eof {} timeout { exec kill -9 [exp_pid]; exit 99 } }
	catch wait result
	exit [lindex \$result 3]
")
check "an empty entry creates a user without a password" [ "$(roster user show carol --json | jq -r .has_password)" = false ]

[ "$fails" -eq 0 ]
