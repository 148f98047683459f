#!/bin/bash
# test_crash.sh - writers killed with SIGKILL at 100 random moments.
#
# Each trial starts a workload in a session of its own, kills the whole
# session after a random 20-720 ms, and then checks, before any repair:
#  - db check passes, or finds nothing but a stale NSS view whose stamp
#    lags the accounts (a kill after the tdb commit, before the stamp);
#  - every user is complete (db check reads every index both ways; the
#    user list has every field);
# then repairs the view - by db check --repair, by the next write, or
# (every fifth trial) by leaving it to the next trial's workload, which may
# itself be killed while it rebuilds - and checks that db check finds no
# problem and that glibc, through libnss_roster, shows exactly what the
# accounts hold; and last the workload's own invariants (its transactions
# are whole or absent).
#
# Workloads: "bulk" (tests/cli/bulk: 10 adds, 40 edits and 40 role changes
# per transaction, through libroster), "cli" (role assign/revoke of 40
# users in one command, user add, user edit) and "import" (roster db import
# of 30 users in batches of 10, round after round).  A workload is three
# functions - start_W (writes until killed), write_W (one whole write, the
# "next write" that repairs the view) and verify_W (its invariants, from
# $USERS and $ROLES) - named in WORKLOADS.  CRASH_TRIALS=N changes the
# number of kills, CRASH_WORKLOADS="cli" (say) runs only some workloads.
# When db check finds more than a stale view, the database directory as
# the kill left it is copied to /tmp/crash-damaged-<trial>.XXXXXX first,
# and the comment says where.
. "$(dirname "$0")/lib.sh"

TRIALS=${CRASH_TRIALS:-100}
WORKLOADS=${CRASH_WORKLOADS:-bulk cli import}
IMPORT_N=30 IMPORT_BATCH=10 # users in an import round, users in a batch
BULK=$PWD/tests/cli/bulk
SEEDS=$(printf 's%s ' $(seq 0 39))
for f in "$BULK" tests/nss/getent_via_glibc nss_module/libnss_roster.so.2; do
	[ -x "$f" ] || { notok "$f is built (make all $f)"; exit 1; }
done
export T ROSTER BULK SEEDS IMPORT_N IMPORT_BATCH
# A workload runs in a session of its own: nothing else would stop it if
# this script were killed (by tests/run.sh's timeout, say).
pid=
trap '[ -n "$pid" ] && kill -KILL -- "-$pid" 2>/dev/null && wait "$pid"; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM

# ---- workload: bulk ----
start_bulk() { exec "$BULK" "$ROSTER_CONFIG" >>"$T/bulk.out" 2>>"$T/bulk.err"; }
write_bulk() { "$BULK" "$ROSTER_CONFIG" 1 >>"$T/bulk.out" 2>>"$T/bulk.err"; }
# Rounds 1..m all there with 10 users each, the seeds' last name Rm, crew
# held by every seed when m is odd and by none when even, and m between
# the last round acknowledged and the last one begun (a kill after a
# commit leaves a round committed that was never acknowledged).
verify_bulk() {
	local acked begun m nrounds whole nseeds lasts crew nbulk
	acked=$(grep -E '^[0-9]+$' "$T/bulk.out" | tail -1)
	begun=$(grep '^begin ' "$T/bulk.out" | tail -1 | cut -d' ' -f2)
	read -r m nrounds whole nseeds lasts crew < <(jq -r '
		[.[] | select(.name | test("^b[0-9]+-[0-9]+$")) | .name | capture("^b(?<k>[0-9]+)-").k | tonumber] as $b
		| [.[] | select(.name | test("^s[0-9]+$"))] as $s
		| "\($b | max // 0) \($b | unique | length) \($b | group_by(.) | map(length) | all(. == 10))"
		  + " \($s | length) \($s | map(.last_name) | unique | join(","))"
		  + " \($s | map(.roles | index("crew") != null) | unique | map(tostring) | join(","))"' <<<"$USERS")
	nbulk=$(jq '.[] | select(.name == "bulk") | (.members // []) | length' <<<"$ROLES")
	BULK_ROUND=$m
	[ "$m" = "$nrounds" ] && [ "$whole" = true ] || { echo "# bulk: rounds 1..$m, $nrounds present, whole: $whole"; return 1; }
	[ "$nseeds" = 40 ] && [ "$lasts" = "R$m" ] || { echo "# bulk: $nseeds seeds, last names $lasts after round $m"; return 1; }
	[ "$crew" = "$([ $((m % 2)) = 1 ] && echo true || echo false)" ] || { echo "# bulk: crew held: $crew after round $m"; return 1; }
	[ "$nbulk" = $((m * 10)) ] || { echo "# bulk: role bulk has $nbulk members after round $m"; return 1; }
	[ "$m" -ge "$acked" ] && [ "$m" -le "$begun" ] ||
		{ echo "# bulk: round $m in the database, $acked acknowledged, $begun begun"; return 1; }
}
# Where the kill landed, when the view did not already tell.
phase_bulk() {
	local last
	last=$(tail -1 "$T/bulk.out")
	case "$last" in
	"") echo "between transactions" ;;
	begin*) if [ "${last#begin }" = "$BULK_ROUND" ]; then echo "after the stamp, before the ack"
		else echo "in the transaction"; fi ;;
	*) echo "between transactions" ;;
	esac
}

# ---- workload: cli ----
cli_op() {
	echo "begin $*" >>"$T/cli.out"
	"$ROSTER" "$@" </dev/null >/dev/null 2>>"$T/cli.err" || echo "failed: $*" >>"$T/cli.err"
	echo done >>"$T/cli.out"
}
start_cli() {
	local n held
	held=$("$ROSTER" --json role show gang | jq '(.members // []) | length')
	n=$(cat "$T/cli.n")
	while :; do
		# shellcheck disable=SC2086
		if [ "$held" = 0 ]; then cli_op role assign gang $SEEDS; held=40; else cli_op role revoke gang $SEEDS; held=0; fi
		n=$((n + 1))
		# Atomically: a kill between the truncation and the write of a
		# plain redirect would leave it empty, and restart at c1.
		echo "$n" >"$T/cli.n.tmp" && mv "$T/cli.n.tmp" "$T/cli.n"
		cli_op user add "c$n" --email "c$n@example.org" --role cli
		cli_op user edit "s$((n % 40))" --first "C$n"
	done
}
write_cli() { cli_op user edit s0 --first "W$1"; }
# gang is held by all 40 seeds or by none; every c user holds cli.
verify_cli() {
	local gang cusers cli
	gang=$(jq -r '.[] | select(.name == "gang") | (.members // []) | join(" ")' <<<"$ROLES")
	cli=$(jq -r '.[] | select(.name == "cli") | (.members // []) | sort | join(" ")' <<<"$ROLES")
	cusers=$(jq -r '[.[] | select(.name | test("^c[0-9]+$")) | select(.roles == ["cli"]) | .name] | sort | join(" ")' <<<"$USERS")
	[ -z "$gang" ] || [ "$gang" = "$(tr ' ' '\n' <<<"${SEEDS% }" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')" ] ||
		{ echo "# cli: gang is held by: $gang"; return 1; }
	[ "$cli" = "$cusers" ] || { echo "# cli: role cli lists '$cli', the c users holding it are '$cusers'"; return 1; }
}
phase_cli() {
	case "$(tail -1 "$T/cli.out")" in
	begin*) echo "in a command, the view not stale" ;;
	*) echo "between transactions" ;;
	esac
}
# ---- workload: import ----
# Round k imports m<k>-000 .. m<k>-029, all holding role imp, in batches of
# 10: a kill leaves each round whole, absent, or its first 10 or 20.  (Small
# rounds: every trial checks the whole database, so its size is the
# test's running time.)
import_round() {
	local k=$1 f=$T/import.$1.json
	awk -v k="$k" -v n="$IMPORT_N" 'BEGIN { for (i = 0; i < n; i++)
		printf "{\"type\":\"user\",\"name\":\"m%d-%03d\",\"email\":\"m%d-%03d@example.org\",\"roles\":[\"imp\"]}\n", k, i, k, i }' >"$f"
	echo "begin $k" >>"$T/import.out"
	"$ROSTER" db import "$f" --batch "$IMPORT_BATCH" </dev/null >/dev/null 2>>"$T/import.err" || echo "failed: round $k" >>"$T/import.err"
	echo "done $k" >>"$T/import.out"
}
start_import() {
	local k
	k=$(cat "$T/import.n")
	while :; do
		k=$((k + 1))
		echo "$k" >"$T/import.n.tmp" && mv "$T/import.n.tmp" "$T/import.n"
		import_round "$k"
	done
}
write_import() {
	local k
	k=$(($(cat "$T/import.n") + 1))
	echo "$k" >"$T/import.n"
	import_round "$k"
}
# Every round is a prefix of whole batches (0, 10, 20 or 30 users, the
# first ones), a round acknowledged is whole, and role imp lists exactly
# the m users.
verify_import() {
	local rounds bad k imp musers
	# "k n" for every round k that has n users, then the checks on them.
	rounds=$(jq -r '[.[] | select(.name | test("^m[0-9]+-[0-9]+$")) | .name | capture("^m(?<k>[0-9]+)-(?<i>[0-9]+)$")
		| {k: (.k | tonumber), i: (.i | tonumber)}] | group_by(.k)
		| .[] | "\(.[0].k) \(length) \(map(.i) | max)"' <<<"$USERS")
	bad=$(awk -v b="$IMPORT_BATCH" '$2 % b != 0 || $3 != $2 - 1 { printf "round %s: %s users, ", $1, $2 }' <<<"$rounds")
	[ -z "$bad" ] || { echo "# import: rounds not whole batches: $bad"; return 1; }
	for k in $(sed -n 's/^done //p' "$T/import.out"); do
		grep -qx "$k $IMPORT_N $((IMPORT_N - 1))" <<<"$rounds" ||
			{ echo "# import: round $k was acknowledged but is not whole"; return 1; }
	done
	imp=$(jq -r '.[] | select(.name == "imp") | (.members // []) | sort | join(" ")' <<<"$ROLES")
	musers=$(jq -r '[.[] | select(.name | test("^m[0-9]+-")) | select(.roles == ["imp"]) | .name] | sort | join(" ")' <<<"$USERS")
	[ "$imp" = "$musers" ] || { echo "# import: role imp and the m users holding it differ"; return 1; }
}
phase_import() {
	case "$(tail -1 "$T/import.out")" in
	begin*) echo "in an import, the view not stale" ;;
	*) echo "between imports" ;;
	esac
}
export -f start_bulk start_cli cli_op start_import import_round

# ---- the trials ----
"$BULK" "$ROSTER_CONFIG" 1 >"$T/bulk.out" 2>"$T/bulk.err" || { notok "bulk seeds the database"; exit 1; }
roster role add gang >/dev/null && roster role add cli >/dev/null || { notok "roles for the cli workload"; exit 1; }
roster role add imp >/dev/null || { notok "the role of the import workload"; exit 1; }
echo 0 >"$T/cli.n"
echo 0 >"$T/import.n"
: >"$T/cli.out" >"$T/cli.err" >"$T/import.out" >"$T/import.err"

bad_check=0 bad_complete=0 bad_repair=0 bad_nss=0 bad_verify=0 stale=0 repaired=0 rewritten=0 deferred=0
declare -A phases
start=$(date +%s)
read -ra wl <<<"$WORKLOADS"
left_stale=false
for i in $(seq 1 "$TRIALS"); do
	w=${wl[(i - 1) % ${#wl[@]}]}
	touch "$T/trial.mark"
	setsid bash -c "start_$w" </dev/null >/dev/null 2>&1 &
	pid=$!
	sleep "$(printf '0.%03d' $((20 + RANDOM % 700)))"
	kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid"
	wait "$pid" 2>/dev/null

	# What the kill left, before anything repairs it (db check itself
	# runs tdb's recovery: keep a copy of the files as they were).
	rm -rf "$T/db.killed" && cp -a "$T/db" "$T/db.killed"
	json=$("$ROSTER" --json db check 2>"$T/check.err")
	rc=$?
	tmps=$(find "$T/db/view" -name '*.tmp' -newer "$T/trial.mark" | wc -l)
	USERS=$("$ROSTER" --json user list)
	ROLES=$("$ROSTER" --json role list)
	BULK_ROUND=
	[ "$w" = bulk ] && verify_bulk >/dev/null
	if [ "$rc" -ne 0 ] && stale_view_only "$json" && $left_stale; then
		phase="the view still stale from the kill before"
	elif [ "$rc" -ne 0 ] && stale_view_only "$json"; then
		stale=$((stale + 1))
		phase="after the tdb commit, before the stamp"
		[ "$tmps" -gt 0 ] && phase="after the tdb commit, renaming shards"
	elif [ "$tmps" -gt 0 ]; then
		phase="writing view shards, before the commit"
	else
		phase=$("phase_$w")
	fi
	phases[$w: $phase]=$((${phases[$w: $phase]:-0} + 1))
	if [ "$rc" -ne 0 ] && ! stale_view_only "$json"; then
		bad_check=$((bad_check + 1))
		kept=$(mktemp -d "/tmp/crash-damaged-$i.XXXXXX")
		cp -a "$T/db.killed" "$kept/as-killed" && cp -a "$T/db" "$kept/as-checked"
		echo "# trial $i ($w, $phase): db check: $(jq -c .problems <<<"$json" | cut -c1-300) $(cat "$T/check.err")"
		echo "#   the database as the kill left it: $kept/as-killed, after db check: $kept/as-checked"
	fi
	inc=$(users_incomplete "$USERS")
	if [ -n "$inc" ]; then
		bad_complete=$((bad_complete + 1))
		echo "# trial $i ($w): incomplete users: $inc"
	fi

	# The repair, and what must hold after it.
	left_stale=false
	if [ $((i % 5)) = 0 ]; then
		# the next trial's workload is the next write
		deferred=$((deferred + 1))
		[ "$rc" -ne 0 ] && left_stale=true
	else
		if [ $((i % 2)) = 1 ]; then
			"$ROSTER" db check --repair >/dev/null 2>&1
			repaired=$((repaired + 1))
		else
			"write_$w" "$i"
			rewritten=$((rewritten + 1))
		fi
		if ! out=$("$ROSTER" db check 2>&1) || ! grep -q "no problems" <<<"$out"; then
			bad_repair=$((bad_repair + 1))
			echo "# trial $i ($w, $phase): after the repair: $(head -3 <<<"$out")"
		fi
		if ! nss_agrees; then
			bad_nss=$((bad_nss + 1))
			echo "# trial $i ($w, $phase): glibc disagrees with the accounts after the repair"
		fi
		USERS=$("$ROSTER" --json user list)
		ROLES=$("$ROSTER" --json role list)
	fi
	if ! "verify_$w"; then
		bad_verify=$((bad_verify + 1))
		echo "# trial $i ($w, $phase)"
	fi
done
end=$(date +%s)

echo "# $TRIALS kills in $((end - start)) s; where they landed:"
for p in "${!phases[@]}"; do echo "#   ${phases[$p]} $p"; done | sort -t' ' -k3
echo "# stale views left: $stale; repaired by db check --repair: $repaired, by the next write: $rewritten, by the next trial's workload: $deferred"
echo "# bulk rounds committed: $(grep -cE '^[0-9]+$' "$T/bulk.out"), import rounds finished: $(grep -c '^done' "$T/import.out"), users now: $(jq length <<<"$USERS")"
check "after each of $TRIALS kills db check passes or finds only a stale view ($bad_check failed)" [ "$bad_check" = 0 ]
check "after each kill every user is complete ($bad_complete failed)" [ "$bad_complete" = 0 ]
check "after the repair db check finds no problem ($bad_repair failed)" [ "$bad_repair" = 0 ]
check "after the repair glibc shows exactly the accounts ($bad_nss failed)" [ "$bad_nss" = 0 ]
check "every transaction is whole or absent ($bad_verify failed)" [ "$bad_verify" = 0 ]
check "kills landed after the commit, before the stamp ($stale)" [ "$stale" -gt 0 ]
check "the workloads failed only by being killed" [ -z "$(cat "$T/bulk.err" "$T/cli.err" "$T/import.err")" ]
for e in bulk cli import; do
	[ -s "$T/$e.err" ] && head -3 "$T/$e.err" | sed 's/^/# /'
done

# The last trial may have left the repair to a next write: make it, then
# everything agrees.
write_bulk
run 0 "the final db check passes" db check
check "... and glibc agrees with the accounts" nss_agrees

[ "$fails" -eq 0 ]
