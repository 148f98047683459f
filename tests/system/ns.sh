# tests/system/ns.sh - what the system tests share: the "ok - "/"not ok - "
# lines tests/run.sh counts, and the private mount namespace they run in.
# Sourced by each system test, right after it sets SELF.

n=0 failed=0
ok() { n=$((n + 1)); echo "ok - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok - $1"; }
# same DESCRIPTION GOT WANT
same() {
	if [ "$2" = "$3" ]; then ok "$1"; else
		not_ok "$1"
		printf '#   got:  %s\n#   want: %s\n' "${2//$'\n'/\\n}" "${3//$'\n'/\\n}"
	fi
}
# check DESCRIPTION COMMAND...: passes when the command succeeds
check() {
	local d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}

ns_cannot() {
	not_ok "cannot create a mount namespace: $1"
	exit 1
}

# ns_overlays DIR HOST_NS TAG: inside the namespace, a tmpfs on DIR holding
# the upper layers of overlays on /etc, /usr and /var.  Stops the test
# before a byte is written unless this is not the host's namespace and all
# three are overlays.
ns_overlays() {
	local dir=$1 host_ns=$2 tag=$3 d err

	[ "$(readlink /proc/self/ns/mnt)" != "$host_ns" ] || ns_cannot "still in the host's namespace"
	err=$(mount -t tmpfs -o mode=0755,size=64m "$tag" "$dir" 2>&1) || ns_cannot "tmpfs on $dir: $err"
	for d in etc usr var; do
		mkdir "$dir/$d" "$dir/$d/upper" "$dir/$d/work"
		# The overlay's root takes its owner and mode from the upper layer.
		if ! chown --reference="/$d" "$dir/$d/upper" || ! chmod --reference="/$d" "$dir/$d/upper"; then
			ns_cannot "preparing the upper layer of /$d"
		fi
		err=$(mount -t overlay "$tag-$d" \
			-o "lowerdir=/$d,upperdir=$dir/$d/upper,workdir=$dir/$d/work" "/$d" 2>&1) ||
			ns_cannot "overlay on /$d: $err"
		[ "$(findmnt -n -o FSTYPE --mountpoint "/$d")" = overlay ] || ns_cannot "/$d is not an overlay"
	done
	ns_preload_asan
}

# Under make check SANITIZE=1 (see the Makefile) the modules are built with
# ASan, and a program not built with it (getent, id, su, sshd, pamtester)
# can load them only with the ASan runtime loaded first.  /etc/ld.so.preload
# in the namespace's /etc loads it into every program started in there,
# setuid ones and those that clear their environment (sshd's sessions, su -)
# included.  Two workarounds for the runtime in programs that are not ours:
#  - libcrypt is preloaded too: the runtime intercepts crypt(3), and when
#    libcrypt arrives later (pam_unix.so, dlopen'ed by libpam) the
#    interceptor calls a NULL pointer;
#  - their own bugs and leaks are not ours to report: LeakSanitizer and the
#    malloc/delete[] mismatch check (troff has one) are off in here.  The C
#    tests and make valgrind check our modules for leaks.
ns_preload_asan() {
	local crypt

	[ -n "${ROSTER_ASAN_PRELOAD:-}" ] || return 0
	crypt=$(ldconfig -p | awk '$1 == "libcrypt.so.1" { print $NF; exit }')
	printf '%s\n' "$ROSTER_ASAN_PRELOAD" ${crypt:+"$crypt"} >/etc/ld.so.preload ||
		ns_cannot "writing /etc/ld.so.preload"
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0:alloc_dealloc_mismatch=0
}

# ns_gone DIR: on the host afterwards, nothing is left mounted under DIR,
# and DIR is removed.
ns_gone() {
	local dir=$1

	same "host: nothing is mounted under $dir" "$(findmnt -rn -o TARGET | grep -c "^$dir")" 0
	rm -rf "$dir"
	check "host: the scratch directory is gone" [ ! -e "$dir" ]
}
