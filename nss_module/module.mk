# nss_module/module.mk - libnss_roster.so.2 and its tests; included by the
# top Makefile, whose CFLAGS, LDFLAGS and PKG_LIBS it uses.
#
# The module links lib/view_read.o and libc, nothing else: it is loaded into
# every process on the machine (see nss_module/common.c).  The tests link
# libroster to build real views.
#
#   make nss_module/libnss_roster.so.2    the module
#   make check-nss                        build and run its tests
#   make bench-nss                        lookup latency on a 10k-user view
#
# Before the top Makefile includes this file:
#   make -f Makefile -f nss_module/module.mk check-nss

# Whatever the includer's default goal is, it stays so.
nss_saved_goal := $(.DEFAULT_GOAL)

NSS_SO := nss_module/libnss_roster.so.2
NSS_SRCS := nss_module/common.c nss_module/passwd.c nss_module/group.c nss_module/initgroups.c
NSS_OBJS := $(NSS_SRCS:.c=.o)
NSS_MAP := nss_module/nss_roster.map

# What `make check` runs (through tests/run.sh), and what must be built first.
NSS_TESTS := tests/nss/test_nss tests/nss/test_concurrent tests/nss/test_glibc.sh
NSS_TEST_BINS := tests/nss/test_nss tests/nss/test_concurrent tests/nss/mkview \
                 tests/nss/getent_via_glibc tests/nss/bench_nss
NSS_TEST_OBJS := tests/nss/fixture.o
NSS_TEST_LIBS := lib/libroster.a $(PKG_LIBS) $(shell pkg-config --libs cmocka 2>/dev/null) -ldl -pthread

$(NSS_OBJS) $(NSS_TEST_OBJS): override CFLAGS += -Ilib

$(NSS_SO): $(NSS_OBJS) lib/view_read.o $(NSS_MAP)
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libnss_roster.so.2 \
		-Wl,--version-script=$(NSS_MAP) -Wl,-z,now -Wl,-z,relro -Wl,-z,defs \
		-o $@ $(NSS_OBJS) lib/view_read.o -pthread

# Programs of one source file plus the fixture; they dlopen the module.
tests/nss/%: tests/nss/%.c $(NSS_TEST_OBJS) lib/libroster.a | $(NSS_SO)
	$(CC) $(CFLAGS) -Ilib $(LDFLAGS) -o $@ $< $(NSS_TEST_OBJS) $(NSS_TEST_LIBS)

# test_nss interposes stat(2) on the module: its symbols must be visible.
tests/nss/test_nss: tests/nss/test_nss.c $(NSS_TEST_OBJS) lib/libroster.a | $(NSS_SO)
	$(CC) $(CFLAGS) -Ilib $(LDFLAGS) -rdynamic -o $@ $< $(NSS_TEST_OBJS) $(NSS_TEST_LIBS)

# getent_via_glibc goes through glibc's NSS only: no libroster.
tests/nss/getent_via_glibc: tests/nss/getent_via_glibc.c | $(NSS_SO)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

# The script needs its helper programs; listing them here lets a check
# target that depends on $(NSS_TESTS) build them.
tests/nss/test_glibc.sh: tests/nss/mkview tests/nss/getent_via_glibc $(NSS_SO)

nss: $(NSS_SO)

check-nss: $(NSS_SO) $(NSS_TEST_BINS)
	@bash tests/run.sh $(NSS_TESTS)

# A first latency figure, not a test: ./tests/nss/bench_nss [users] [calls]
bench-nss: $(NSS_SO) tests/nss/bench_nss
	./tests/nss/bench_nss

clean-nss:
	rm -f $(NSS_SO) nss_module/*.o nss_module/*.d $(NSS_TEST_BINS) tests/nss/*.o tests/nss/*.d

.PHONY: nss check-nss bench-nss clean-nss

-include $(NSS_OBJS:.o=.d) $(NSS_TEST_OBJS:.o=.d) $(addsuffix .d,$(NSS_TEST_BINS))

.DEFAULT_GOAL := $(nss_saved_goal)
