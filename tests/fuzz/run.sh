#!/bin/bash
# tests/fuzz/run.sh SECONDS TARGET... - runs each libFuzzer target for
# SECONDS, starting from its seed corpus tests/fuzz/corpus/NAME, and prints
# one line per target with libFuzzer's final statistics: executions,
# executions per second, inputs that found new coverage.  Fails if any
# target found a crash, a leak, a timeout or a failed check; the input is
# kept as tests/fuzz/build/NAME-crash-... (libFuzzer names it) and the end
# of the log is shown.
#
# New inputs go to a scratch directory, listed first so that libFuzzer
# writes there: the committed corpus is read, never grown.
set -u
cd "$(dirname "$0")/../.." || exit 1

secs=${1:?usage: $0 SECONDS TARGET...}
shift
# The targets write their input to a file for each run: on tmpfs when there
# is one, that is up to 20 times faster than on disk.
tmp=/dev/shm
[ -d "$tmp" ] && [ -w "$tmp" ] || tmp=${TMPDIR:-/tmp}
S=$(mktemp -d "$tmp/roster-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$S"' EXIT

final() { sed -n "s/^stat::$1: *//p" "$2" | tail -n 1; }

failed=0
for bin in "$@"; do
	name=$(basename "$bin")
	seeds=tests/fuzz/corpus/$name
	if [ ! -x "$bin" ] || [ ! -d "$seeds" ]; then
		echo "$name: FAILED: $bin or its seed corpus $seeds is missing"
		failed=$((failed + 1))
		continue
	fi
	mkdir -p "$S/$name/new" "$S/$name/tmp"
	# -timeout: one input taking 10 s is a hang; TMPDIR: the targets'
	# scratch files, removed with $S.
	TMPDIR=$S/$name/tmp "$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 \
		-artifact_prefix="$(dirname "$bin")/$name-" "$S/$name/new" "$seeds" \
		>"$S/$name/log" 2>&1 </dev/null
	rc=$?
	runs=$(final number_of_executed_units "$S/$name/log")
	if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
		printf '%-12s %10s runs %8s exec/s %5s new inputs (from %s seeds, %ss)\n' "$name" "$runs" \
			"$(final average_exec_per_sec "$S/$name/log")" "$(final new_units_added "$S/$name/log")" \
			"$(find "$seeds" -type f | wc -l)" "$secs"
	else
		failed=$((failed + 1))
		tail -n 40 "$S/$name/log" | sed 's/^/#   /'
		echo "$name: FAILED (exit $rc) after ${runs:-?} runs; $(grep -o "Test unit written to .*" "$S/$name/log")"
	fi
done
[ "$failed" -eq 0 ] && echo "fuzz: $# targets, no crash" || echo "fuzz: $failed of $# targets failed"
[ "$failed" -eq 0 ]
