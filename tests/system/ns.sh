# tests/system/ns.sh - the private mount namespace the system tests run in.
# Sourced by each system test; it uses the test's ok, not_ok, same and check.

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
}

# ns_gone DIR: on the host afterwards, nothing is left mounted under DIR,
# and DIR is removed.
ns_gone() {
	local dir=$1

	same "host: nothing is mounted under $dir" "$(findmnt -rn -o TARGET | grep -c "^$dir")" 0
	rm -rf "$dir"
	check "host: the scratch directory is gone" [ ! -e "$dir" ]
}
