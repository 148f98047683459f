#!/bin/bash
# scale.sh - what `make bench-scale` (and `make bench`) runs: roster's
# writes at a million users against the shadow-utils peers, in a private
# mount namespace (overlays over /etc and /home for the peers).
#
#   BENCH_SCALE_USERS=1000000   users to import, export and list
#   BENCH_ADDS=21               single `roster user add` calls timed
#   BENCH_USERADD_RUNS=3        useradd calls timed on a 100,000-user /etc/passwd
#   BENCH_NEWUSERS=1000         users given to one newusers call (it hashes each
#                               password with yescrypt through PAM: about 35 ms a
#                               user here, so 100,000 take about an hour)
#
# The 1,000,000-user database of bench/run.sh (bench/data/1000000) takes the
# single adds, so it grows by BENCH_ADDS users a run; the import goes into a
# fresh database in bench/data/scale/ each run.
set -u
cd "$(dirname "$0")/.." || exit 1

if [ "${ROSTER_BENCH_INSIDE:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "bench-scale: run as root" >&2; exit 1; }
	[ -x cli/roster ] || { echo "bench-scale: cli/roster is not built" >&2; exit 1; }
	ROSTER_BENCH_INSIDE=1 exec unshare --mount --propagation private bash "$0" "$@"
fi

N=${BENCH_SCALE_USERS:-1000000}
ADDS=${BENCH_ADDS:-21}
UA_RUNS=${BENCH_USERADD_RUNS:-3}
NU=${BENCH_NEWUSERS:-1000}
R=$PWD/cli/roster
S=$PWD/bench/data/scale
BIG=$PWD/bench/data/1000000
P100=$PWD/bench/data/100000/files/passwd
rm -rf "$S"
mkdir -p "$S/sys"
cp "$BIG/sys/"* "$S/sys/" 2>/dev/null || printf '/bin/sh\n/bin/bash\n' >"$S/sys/shells"

# The clock is bash's EPOCHREALTIME (bash 5), read by the shell itself:
# $(date) would add a fork and exec of date(1), 1.5 ms here, to every timed
# command.  It is written with the locale's decimal point, and bc wants '.'.
export LC_ALL=C
: "${EPOCHREALTIME:?bench-scale needs bash 5 or later}"

# peak_anon OUT CMD...: runs CMD (stdout to OUT) and prints the peak of its
# anonymous memory in MiB (RssAnon, sampled every 10 ms): the heap, not the
# mapped accounts.tdb, which is page cache shared with every reader.
peak_anon() {
	local out=$1 pid peak=0 v
	shift
	"$@" >"$out" &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		v=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status" 2>/dev/null)
		[ -n "$v" ] && [ "$v" -gt "$peak" ] && peak=$v
		sleep 0.01
	done
	wait "$pid" || return 1
	echo $((peak / 1024))
}
ms() { echo "scale=2; ($2 - $1) * 1000 / 1" | bc; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
row() { printf '| %-44s | %12s | %-34s | %12s | %8s | %-6s |\n' "$@"; }

cat >"$S/roster.conf" <<EOF
[database]
dir = $S/db
hash_size = 1000003
[ids]
uid_min = 2000000000
uid_max = 2099999999
[passwords]
opslimit = 1
memlimit = 8192
[system]
passwd = $S/sys/passwd
group = $S/sys/group
shells = $S/sys/shells
EOF

# A pre-hashed password: one argon2id hash at the interactive cost, made
# once; every imported user carries a copy (import never hashes).
printf 'a benchmark password\n' | "$R" --config "$S/roster.conf" user add seed --email seed@example.org \
	--password-stdin >/dev/null
HASH=$("$R" --config "$S/roster.conf" db export | sed -n 's/.*"password_hash":"\([^"]*\)".*/\1/p')
rm -rf "$S/db"
awk -v n="$N" -v h="$HASH" 'BEGIN {
	print "{\"type\":\"role\",\"name\":\"staff\",\"description\":\"everyone\"}"
	for (i = 0; i < n; i++)
		printf "{\"type\":\"user\",\"name\":\"i%07d\",\"email\":\"i%07d@example.org\",\"first\":\"Import\",\"last\":\"User\",\"roles\":[\"staff\"],\"password_hash\":\"%s\"}\n", i, i, h
}' >"$S/users.json"

echo "roster scale benchmark: $(uname -r), $(nproc) CPUs, $N users"
row "operation" "roster" "peer" "peer" "ratio" "target"
row "---" "---:" "---" "---:" "---:" "---"

# --- import
t0=$EPOCHREALTIME
/usr/bin/time -f "%M" -o "$S/import.rss" "$R" --config "$S/roster.conf" --json db import "$S/users.json" \
	>"$S/import.out" 2>"$S/import.err" || { echo "bench-scale: import failed:" >&2; cat "$S/import.err" >&2; exit 1; }
t1=$EPOCHREALTIME
imp=$(echo "$t1 - $t0" | bc)
imported=$(jq .users "$S/import.out")
batches=$(jq .batches "$S/import.out")

# newusers on NU users, in an overlay of /etc and a tmpfs /home
mkdir -p "$S/nu/up" "$S/nu/wk"
awk -v n="$NU" 'BEGIN { for (i = 0; i < n; i++) printf "nu%06d:Pw-%06d-x:%d:%d::/home/nu%06d:/bin/bash\n", i, i, 300000 + i, 300000 + i, i }' >"$S/nu/in"
nu_s=$(unshare --mount --propagation private bash -c "
	mount -t overlay overlay -o lowerdir=/etc,upperdir=$S/nu/up,workdir=$S/nu/wk /etc &&
	mount -t tmpfs tmpfs /home && t0=\$EPOCHREALTIME && newusers $S/nu/in >/dev/null 2>&1 &&
	echo \"\$EPOCHREALTIME - \$t0\" | bc")
per_nu=$(echo "scale=3; $nu_s * 1000 / $NU" | bc)
per_imp=$(echo "scale=4; $imp * 1000 / $N" | bc)
row "import $N users, pre-hashed (s)" "$imp" "newusers, $NU users (s)" "$nu_s" \
	"$(echo "scale=0; $per_nu / $per_imp" | bc)x" "<= 15"
row "... per user (ms)" "$per_imp" "newusers per user (ms)" "$per_nu" "" ""
row "... peak RSS (MiB), users written, batches" "$(($(cat "$S/import.rss") / 1024))" "" "" "" "$imported / $batches"
# The floor under the import: jansson parsing the same file and doing
# nothing else, and libtdb storing the records the import wrote (read back
# from accounts.tdb), shuffled as an import's keys fall, in as many
# transactions, with nothing else: no checks, no encoding, no view.
floor_row() { row "... floor: $1" "$2" "" "" "" "$3"; }
if out=$(bench/jsonfloor "$S/users.json"); then
	read -r floor_lines json_s <<<"$out"
	floor_row "jansson alone, parsing (s)" "$json_s" "$floor_lines lines"
else
	echo "bench-scale: bench/jsonfloor failed" >&2
	json_s=
fi
if out=$(bench/tdbfloor "$S/db/accounts.tdb" "$S/floor.tdb" "$batches"); then
	read -r floor_recs floor_bytes tdb_s <<<"$out"
	floor_row "libtdb alone, storing (s)" "$tdb_s" "$floor_recs records, $((floor_bytes / 1048576)) MiB, $batches txns"
else
	echo "bench-scale: bench/tdbfloor failed" >&2
	tdb_s=
fi
rm -f "$S/floor.tdb"
# The import checks every record before it writes any: its parsing cannot
# overlap its writes, so the floor is the sum.
if [ -n "$json_s" ] && [ -n "$tdb_s" ]; then
	row "... floor: the two, the import's ratio to it (s)" "$(echo "$json_s + $tdb_s" | bc)" "" "" \
		"$(echo "scale=2; $imp / ($json_s + $tdb_s)" | bc)x" ""
fi

# --- export (it holds hashes: a file only root reads)
t0=$EPOCHREALTIME
(umask 077 && /usr/bin/time -f "%M" -o "$S/export.rss" "$R" --config "$S/roster.conf" db export >"$S/export.json") || exit 1
t1=$EPOCHREALTIME
exp_s=$(echo "$t1 - $t0" | bc)
row "export $N users (s)" "$exp_s" "" "" "" "<= 5"
row "... peak RSS (MiB), bytes" "$(($(cat "$S/export.rss") / 1024))" "" "" "" "$(stat -c %s "$S/export.json")"

# --- db check: every record, the history chain and the whole view
t0=$EPOCHREALTIME
"$R" --config "$S/roster.conf" db check >"$S/check.out" 2>&1 || { echo "bench-scale: db check failed:" >&2; cat "$S/check.out" >&2; exit 1; }
t1=$EPOCHREALTIME
row "db check of $N users (s)" "$(echo "$t1 - $t0" | bc)" "" "" "" "no problems"

# --- user list, streamed
for fmt in table json; do
	j=; [ $fmt = json ] && j=--json
	t0=$EPOCHREALTIME
	anon=$(peak_anon "$S/list.out" "$R" --config "$S/roster.conf" $j user list) || exit 1
	t1=$EPOCHREALTIME
	row "user list ($fmt) of $N users (s)" "$(echo "$t1 - $t0" | bc)" "" "" "" "streams"
	row "... peak heap (RssAnon, MiB), lines" "$anon" "" "" "" "$(wc -l <"$S/list.out")"
done
anon=$(peak_anon /dev/null "$R" --config "$S/roster.conf" user list --status disabled)
row "... for comparison, a walk listing 0 rows (MiB)" "$anon" "" "" "" ""

# --- single adds, against useradd on a 100,000-user /etc/passwd
# adds CONF: the median milliseconds of ADDS `roster user add` calls
adds() {
	local run i t0 t1
	run=$(date +%s)
	for i in $(seq 1 "$ADDS"); do
		t0=$EPOCHREALTIME
		"$R" --config "$1" user add "a${run}x$i" --email "a${run}x$i@example.org" </dev/null >/dev/null || exit 1
		t1=$EPOCHREALTIME
		ms "$t0" "$t1"
	done | median
}
imp_add=$(adds "$S/roster.conf")
row "user add on the imported $N (ms, median of $ADDS)" "$imp_add" "" "" "" "<= 10"
# user show lists direct reports and user delete detaches them: both read
# the reports/ index (a walk over every user before DB_VERSION 2)
timed() {
	local i t0 t1
	for i in $(seq 1 "$ADDS"); do
		t0=$EPOCHREALTIME
		"$R" --config "$S/roster.conf" "$@" "$(printf 'i%07d' $((i * 7919 % N)))" </dev/null >/dev/null || exit 1
		t1=$EPOCHREALTIME
		ms "$t0" "$t1"
	done | median
}
row "user show on the imported $N (ms, median of $ADDS)" "$(timed user show)" "" "" "" ""
row "user delete (in the $N-member role staff) (ms)" "$(timed user delete)" "" "" "" ""
if [ -f "$BIG/roster.conf" ]; then
	add_ms=$(adds "$BIG/roster.conf")
	ua=
	if [ -f "$P100" ]; then
		# Each useradd gets a fresh overlay of /etc: useradd's backup
		# files from one call trip the next one on overlayfs.
		ua=$(for run in $(seq 1 "$UA_RUNS"); do
			rm -rf "$S/ua" && mkdir -p "$S/ua/up" "$S/ua/wk" || exit 1
			cp "$P100" "$S/ua/up/passwd"
			cp "$PWD/bench/data/100000/files/group" "$S/ua/up/group"
			awk -F: '{print $1 ":*:19000:0:99999:7:::"}' "$P100" >"$S/ua/up/shadow"
			awk -F: '{print $1 ":*::"}' "$S/ua/up/group" >"$S/ua/up/gshadow"
			chmod 640 "$S/ua/up/shadow" "$S/ua/up/gshadow"
			unshare --mount --propagation private bash -c "
				mount -t overlay overlay -o lowerdir=/etc,upperdir=$S/ua/up,workdir=$S/ua/wk /etc &&
				mount -t tmpfs tmpfs /home &&
				t0=\$EPOCHREALTIME && useradd -U -m benchua$run &&
				echo \"(\$EPOCHREALTIME - \$t0) * 1000\" | bc"
		done | median)
	fi
	row "user add, bench/data 1M + 1000 roles (ms)" "$add_ms" \
		"useradd -U -m, 100,000 users (ms)" "${ua:-n/a}" \
		"$([ -n "$ua" ] && echo "scale=0; $ua / $add_ms" | bc)x" "<= 10"
fi
rm -f "$S/users.json" "$S/export.json" "$S/list.out"
