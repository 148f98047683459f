# pam_module/module.mk - pam_roster.so, its tests and its benchmark;
# included by the top Makefile, whose CFLAGS, LDFLAGS and PKG_LIBS it uses.
#
# The module links lib/libroster.a, libpam, libpwquality, libsodium, libtdb,
# libinih and libuuid - not jansson, which only the CLI needs.  It exports
# pam_sm_* and nothing else (pam_roster.map).
#
#   make pam_module/pam_roster.so    the module
#   make check-pam                   build and run its tests
#   make bench-pam                   pam_authenticate against crypto_pwhash_str_verify
#                                    at each argon2id cost, 100,000 users

# Whatever the includer's default goal is, it stays so.
pam_saved_goal := $(.DEFAULT_GOAL)

PAM_SO := pam_module/pam_roster.so
PAM_SRCS := pam_module/pam_roster.c pam_module/args.c pam_module/policy.c
PAM_OBJS := $(PAM_SRCS:.c=.o)
PAM_MAP := pam_module/pam_roster.map
PAM_PKGS := pam pwquality libsodium tdb inih uuid libcrypt
PAM_LIBS := $(shell pkg-config --libs $(PAM_PKGS) 2>/dev/null)
PAM_CFLAGS := $(shell pkg-config --cflags pam pwquality 2>/dev/null)

# What `make check` runs (through tests/run.sh), and what must be built first.
PAM_TESTS := tests/pam/test_pam_auth tests/pam/test_pam_account tests/pam/test_pam_password \
             tests/pam/test_pam_session tests/pam/test_pam_race tests/pam/test_pam_timing \
             tests/pam/test_pam_invite tests/pam/test_pam_admin tests/pam/test_pam_api tests/pam/test_pam_load \
             tests/pam/test_pam_concurrency tests/pam/test_pam_system.sh
PAM_TEST_PROGS := tests/pam/test_pam_auth tests/pam/test_pam_account tests/pam/test_pam_password \
                  tests/pam/test_pam_session tests/pam/test_pam_race tests/pam/test_pam_timing \
                  tests/pam/test_pam_invite tests/pam/test_pam_admin tests/pam/test_pam_api tests/pam/test_pam_load \
                  tests/pam/test_pam_concurrency
# A stand-in for pam_pwquality: asks for the new password twice, sets it.
PAM_TEST_MODS := tests/pam/pam_settok.so
PAM_TEST_BINS := $(PAM_TEST_PROGS) $(PAM_TEST_MODS)
PAM_TEST_OBJS := tests/pam/harness.o
PAM_TEST_LIBS := lib/libroster.a $(PKG_LIBS) $(PAM_LIBS) $(shell pkg-config --libs cmocka 2>/dev/null)

$(PAM_OBJS) $(PAM_TEST_OBJS): override CFLAGS += -Ilib $(PAM_CFLAGS)

$(PAM_SO): $(PAM_OBJS) lib/libroster.a $(PAM_MAP)
	$(CC) $(LDFLAGS) -shared -Wl,--version-script=$(PAM_MAP) -Wl,-z,now -Wl,-z,relro -Wl,-z,defs \
		-o $@ $(PAM_OBJS) lib/libroster.a $(PAM_LIBS) -pthread

# Test programs: one source file plus the harness.  -rdynamic: the harness
# interposes pam_syslog() to read what the module logs.
tests/pam/test_%: tests/pam/test_%.c $(PAM_TEST_OBJS) lib/libroster.a | $(PAM_SO) $(PAM_TEST_MODS) cli/roster
	$(CC) $(CFLAGS) -Ilib $(PAM_CFLAGS) $(LDFLAGS) -rdynamic -o $@ $< $(PAM_TEST_OBJS) $(PAM_TEST_LIBS)

# Its reader threads go through glibc, which loads the NSS module by name.
tests/pam/test_pam_concurrency: | $(NSS_SO)

tests/pam/pam_settok.so: tests/pam/pam_settok.c
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-z,defs -o $@ $< $(shell pkg-config --libs pam 2>/dev/null)

# The system test installs the module and the CLI in a private namespace.
tests/pam/test_pam_system.sh: $(PAM_SO) cli/roster nss_module/libnss_roster.so.2

pam: $(PAM_SO)

check-pam: $(PAM_SO) $(PAM_TEST_BINS) cli/roster
	@bash tests/run.sh $(PAM_TESTS)

# Figures, not a test: ./bench/pam_bench [users] (default 100000).
bench/pam_bench: bench/pam_bench.c lib/libroster.a | $(PAM_SO)
	$(CC) $(CFLAGS) -Ilib $(PAM_CFLAGS) $(LDFLAGS) -o $@ $< lib/libroster.a $(PKG_LIBS) $(PAM_LIBS)

bench-pam: $(PAM_SO) bench/pam_bench
	./bench/pam_bench

clean-pam:
	rm -f $(PAM_SO) pam_module/*.o pam_module/*.d $(PAM_TEST_BINS) tests/pam/*.o tests/pam/*.d \
		bench/pam_bench bench/pam_bench.d

# The top Makefile's clean cleans the module too.
clean: clean-pam

.PHONY: pam check-pam bench-pam clean-pam

-include $(PAM_OBJS:.o=.d) $(PAM_TEST_OBJS:.o=.d) $(addsuffix .d,$(PAM_TEST_PROGS)) tests/pam/pam_settok.d

.DEFAULT_GOAL := $(pam_saved_goal)
