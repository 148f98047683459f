# bench/bench.mk - `make bench`: libnss_roster.so.2 against nss_files and
# nss_db through real glibc, at 10,000, 100,000 and 1,000,000 users.
# Included by the top Makefile, whose CFLAGS, LDFLAGS and PKG_LIBS it uses.
#
#   make bench                       all three sizes (root; generates data once)
#   make bench BENCH_SIZES=10000     one size
#   make bench-clean                 drop the generated data (bench/data/)
#
# Before the top Makefile includes this file:
#   make -f Makefile -f bench/bench.mk bench

bench_saved_goal := $(.DEFAULT_GOAL)

# mkdb writes the accounts database through libroster; nssbench and
# firstlookup use glibc only, as any program on the machine would;
# libnss_benchnull.so.2 is an empty NSS module, to show glibc's own share
# of a first lookup; tdbfloor and jsonfloor time libtdb and jansson alone
# on what an import writes and reads, the floor under `roster db import`.
BENCH_BINS := bench/mkdb bench/nssbench bench/firstlookup bench/libnss_benchnull.so.2 \
	bench/tdbfloor bench/jsonfloor
BENCH_DEPS := bench/mkdb.d bench/nssbench.d bench/firstlookup.d bench/libnss_benchnull.so.d \
	bench/tdbfloor.d bench/jsonfloor.d

bench/mkdb: bench/mkdb.c lib/libroster.a
	$(CC) $(CFLAGS) -Ilib $(LDFLAGS) -o $@ $< lib/libroster.a $(PKG_LIBS)

bench/nssbench bench/firstlookup: bench/%: bench/%.c
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

bench/tdbfloor: bench/tdbfloor.c
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(PKG_LIBS)

bench/jsonfloor: bench/jsonfloor.c
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(PKG_LIBS)

bench/libnss_benchnull.so.2: bench/nss_null.c
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,libnss_benchnull.so.2 -o $@ $<

# NSS against its peers, PAM against crypto_pwhash_str_verify alone, then
# import/export/list/add at a million users against newusers and useradd.
bench: $(BENCH_BINS) nss_module/libnss_roster.so.2 cli/roster
	@bash scripts/deps.sh bench
	@bash bench/run.sh
	@$(MAKE) --no-print-directory bench-pam
	@bash bench/scale.sh

# The write side alone (it uses bench/data/1000000 when bench/run.sh made it).
bench-scale: cli/roster bench/tdbfloor bench/jsonfloor
	@bash scripts/deps.sh bench
	@bash bench/scale.sh

bench-clean:
	rm -rf bench/data
	rm -f $(BENCH_BINS) $(BENCH_DEPS)

.PHONY: bench bench-scale bench-clean

-include $(BENCH_DEPS)

.DEFAULT_GOAL := $(bench_saved_goal)
