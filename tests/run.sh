#!/bin/bash
# Runs every test program and script named on the command line and ends
# with one line: "N passed, N failed".
#  - cmocka programs: each "[       OK ]" / "[  FAILED  ]" test case counts.
#  - shell scripts: each "ok - ..." / "not ok - ..." line counts (TAP-like).
# A program that exits non-zero without reporting a failure counts as one.
set -u
passed=0 failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for t in "$@"; do
	echo "=== $t"
	# No test may hang the run: each gets ten minutes at most.
	case "$t" in
	*.sh) timeout -k 10 600 bash "$t" >"$log" 2>&1 </dev/null ;;
	*) timeout -k 10 600 "./$t" >"$log" 2>&1 </dev/null ;;
	esac
	rc=$?
	[ "$rc" -eq 124 ] && echo "not ok - $t timed out" >>"$log"
	cat "$log"
	p=$(grep -cE '^\[       OK \]|^ok - ' "$log")
	# cmocka names a failed test twice: when it fails and in its summary.
	f=$(($(grep -E '^\[  FAILED  \] [^0-9]' "$log" | sort -u | wc -l) + $(grep -c '^not ok - ' "$log")))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $t exited with status $rc"
		f=1
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $t ran no test"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
