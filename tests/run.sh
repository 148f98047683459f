#!/bin/bash
# Runs every test program and script named on the command line and ends
# with one line: "N passed, N failed" (after the five slowest, as comments).
#  - cmocka programs: each "[       OK ]" / "[  FAILED  ]" test case counts.
#  - shell scripts: each "ok - ..." / "not ok - ..." line counts (TAP-like).
# A program that exits non-zero without reporting a failure counts as one.
# ROSTER_TEST_WRAPPER, when set, runs each program (not the scripts) through
# a command: make valgrind sets it to tests/valgrind.sh.
#
# Under make check SANITIZE=1 (ROSTER_ASAN_PRELOAD set), ASan writes its
# reports to files instead of stderr, which many tests discard: every report
# a test leaves, from any process it started, is shown and counts as a
# failure of that test.  (UBSan's go to stderr still - gcc's runtime
# ignores log_path beside ASan - and end the process with status 1.)
set -u
passed=0 failed=0 times=
log=$(mktemp)
reports=
trap 'rm -rf "$log" $reports' EXIT
wrapper=()
[ -z "${ROSTER_TEST_WRAPPER:-}" ] || read -ra wrapper <<<"$ROSTER_TEST_WRAPPER"
if [ -n "${ROSTER_ASAN_PRELOAD:-}" ]; then
	reports=$(mktemp -d /tmp/roster-sanitizer.XXXXXX)
	chmod 1777 "$reports" # processes that run as nobody report too
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$reports/asan
fi

for t in "$@"; do
	echo "=== $t"
	t0=$SECONDS
	# No test may hang the run: each gets ten minutes at most.
	case "$t" in
	*.sh) timeout -k 10 600 bash "$t" >"$log" 2>&1 </dev/null ;;
	*) timeout -k 10 600 "${wrapper[@]}" "./$t" >"$log" 2>&1 </dev/null ;;
	esac
	rc=$?
	[ "$rc" -eq 124 ] && echo "not ok - $t timed out" >>"$log"
	if [ -n "$reports" ]; then
		for r in "$reports"/*; do
			[ -e "$r" ] || continue
			sed 's/^/#   /' "$r" >>"$log"
			echo "not ok - $t: a sanitizer report (${r##*/})" >>"$log"
			rm -f "$r"
		done
	fi
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
	times+="$((SECONDS - t0)) $t"$'\n'
done
echo
# Where the run's time went, for keeping CI inside its budget.
sort -rn <<<"$times" | head -5 | awk 'NF { printf "# %4d s  %s\n", $1, $2 }'
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
