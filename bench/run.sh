#!/bin/bash
# run.sh - what `make bench` runs: libnss_roster.so.2 against nss_files and
# nss_db through real glibc, one table per database size.
#
#   BENCH_SIZES="10000 100000 1000000"  the sizes (users), default all three
#   BENCH_BUDGET=2                      seconds per operation and source
#   BENCH_CALLS=200000                  calls per operation, at most
#   BENCH_TXN=100000                    users per transaction when generating
#   BENCH_SOURCES="roster nss_db"       measure only these (labels; "null" is glibc alone)
#   BENCH_NSSWITCH=api                  __nss_configure_lookup() instead of a bind-mounted
#                                       nsswitch.conf: glibc without its per-call stat and
#                                       nscd retries
#
# The data of each size is generated once into bench/data/N by bench/mkdb
# (through libroster's API) and reused while its stamp matches
# `bench/mkdb --stamp`; `make bench-clean` drops it.  Every run re-times
# the full view rebuild on it.
#
# Everything runs in a private mount namespace, and nssbench bind-mounts the
# peers' files only inside the child process that measures each peer, so
# no host file changes; this script checks that afterwards.
set -u
cd "$(dirname "$0")/.." || exit 1

# What must be the same after the run: the files the peers replace, the
# mounts, and nsswitch.conf.
fingerprint() {
	md5sum /etc/passwd /etc/group /etc/nsswitch.conf 2>&1
	ls -la --time-style=full-iso /var/lib/misc 2>&1
	findmnt -rn -o TARGET,SOURCE,FSTYPE | sort
}

if [ "${ROSTER_BENCH_INSIDE:-}" != 1 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "bench: run as root (a mount namespace, and a root-owned roster database)" >&2
		exit 1
	fi
	for f in bench/mkdb bench/nssbench bench/firstlookup bench/libnss_benchnull.so.2 \
		nss_module/libnss_roster.so.2; do
		[ -x "$f" ] || [ -f "$f" ] || { echo "bench: $f is not built (make bench)" >&2; exit 1; }
	done
	command -v makedb >/dev/null || { echo "bench: makedb is missing (apt-get install libnss-db)" >&2; exit 1; }
	before=$(fingerprint)
	ROSTER_BENCH_INSIDE=1 unshare --mount --propagation private bash "$0" "$@"
	rc=$?
	if [ "$before" != "$(fingerprint)" ]; then
		echo "bench: the host's files or mounts changed during the run:" >&2
		diff <(echo "$before") <(fingerprint) >&2
		rc=1
	fi
	exit $rc
fi

sizes=${BENCH_SIZES:-10000 100000 1000000}
stamp=$(bench/mkdb --stamp) || exit 1
# glibc loads libnss_roster.so.2 and libnss_benchnull.so.2 by name.
export LD_LIBRARY_PATH=$PWD/nss_module:$PWD/bench${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
rc=0

echo "roster NSS benchmark: $(uname -r), $(nproc) CPUs, $(ldd --version | head -1)"
echo "sources: roster = 'passwd: roster', files+roster = 'passwd: files roster' (host /etc/passwd),"
echo "nss_db = 'passwd: db' (Debian libnss-db, makedb), nss_files = 'passwd: files' (same users in /etc/passwd)"
# generate N DIR
generate() {
	rm -rf "$2"
	mkdir -p "$(dirname "$2")"
	echo "bench: generating $1 users in $2 (kept for later runs)" >&2
	bench/mkdb "$2" "$1" ${BENCH_TXN:-}
}

for n in $sizes; do
	dir=$PWD/bench/data/$n
	if [ "$(cat "$dir/stamp" 2>/dev/null)" != "$stamp" ]; then
		generate "$n" "$dir" || { rc=1; continue; }
	fi
	# The rebuild is timed on every run; it also fails on data an older
	# libroster wrote in a format this one no longer opens.
	if ! rebuild=$(bench/mkdb --rebuild "$dir"); then
		echo "bench: this libroster cannot read $dir; generating it again" >&2
		generate "$n" "$dir" && rebuild=$(bench/mkdb --rebuild "$dir") || { rc=1; continue; }
	fi
	sync # the old shards' blocks freed before anything is timed
	ROSTER_NSS_DIR=$dir/db bench/nssbench "$dir" "$rebuild" || rc=1
done
exit $rc
