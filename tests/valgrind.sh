#!/bin/bash
# tests/valgrind.sh PROGRAM [ARGS...] - runs a test program under valgrind's
# memcheck, and every process it starts (fork, and exec through popen's
# sh: the CLI), then adds one line for tests/run.sh to count:
#   ok - valgrind PROGRAM: N processes, no memory error, no definite leak
# `make valgrind` runs the NSS and PAM test programs through this (see
# ROSTER_TEST_WRAPPER in tests/run.sh).  Exits with the program's status,
# or 1 when valgrind found anything.
#
# Each process writes its own log; one that found an error or leaked a
# block for certain fails the line, and its log is shown.  A log with only
# valgrind's six-line banner is a process that exec'ed a program not traced
# (rm, below) before doing anything; one with more but no summary (killed
# mid-way) fails too.  Possible and reachable leaks are not counted: glibc
# and libpam keep memory for the life of a process (dlopen'ed modules,
# locale data) on purpose.  No suppression is needed, so none is used.
set -u

logs=$(mktemp -d /tmp/roster-valgrind.XXXXXX) || exit 1
trap 'rm -rf "$logs"' EXIT

# rm -rf, run by the fixtures (through system(3)'s sh) to remove their temp
# dirs, is not ours.
valgrind --tool=memcheck --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
	--show-leak-kinds=definite --trace-children=yes --trace-children-skip-by-arg='rm -rf *' \
	--num-callers=30 --log-file="$logs/vg.%p" "$@"
rc=$?

n=0 bad=0
for f in "$logs"/vg.*; do
	[ -e "$f" ] || continue
	e=$(sed -n 's/^==[0-9]*== ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$f")
	[ -z "$e" ] && [ "$(wc -l <"$f")" -le 6 ] && continue
	n=$((n + 1))
	if [ "${e:-x}" != 0 ]; then
		bad=$((bad + 1))
		sed 's/^/#   /' "$f"
		[ -n "$e" ] || echo "#   (this process ended without valgrind's summary)"
	fi
done
if [ "$n" -gt 0 ] && [ "$bad" -eq 0 ]; then
	echo "ok - valgrind $1: $n processes, no memory error, no definite leak"
else
	echo "not ok - valgrind $1: $bad of $n processes with errors or definite leaks"
	[ "$rc" -ne 0 ] || rc=1
fi
exit "$rc"
