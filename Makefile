# roster - see README.md.  `make`, `make check`, `make demo`, `make install`.
PREFIX ?= /usr
SYSCONFDIR ?= /etc
LOCALSTATEDIR ?= /var
SBINDIR ?= $(PREFIX)/sbin
DESTDIR ?=
VERSION := 0.1.0
# The NSS view format (lib/view.h): make install rebuilds a view of another.
VIEW_VERSION := $(shell sed -n 's/^#define VIEW_VERSION \([0-9]*\)$$/\1/p' lib/view.h)
$(if $(VIEW_VERSION),,$(error no VIEW_VERSION in lib/view.h))

CC ?= cc
PKGS := tdb libsodium inih jansson uuid libcrypt
CSV_LIBS := -lcsv
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) $(CSV_LIBS) -pthread # db export runs two threads

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
        -Wno-format-nonliteral -Wno-format-truncation -Werror
override CFLAGS := -std=gnu11 -O2 -g -fPIC -fvisibility=hidden $(WARN) -MMD -MP \
	-D_GNU_SOURCE -DROSTER_VERSION='"$(VERSION)"' \
	-DSYSCONFDIR='"$(SYSCONFDIR)"' -DLOCALSTATEDIR='"$(LOCALSTATEDIR)"' \
	$(PKG_CFLAGS) $(CFLAGS)
# SANITIZE=1: ASan and UBSan (gcc's), every UBSan report fatal.  HACKING.md
# ("Sanitizers, valgrind, fuzzing") says what runs instrumented.
ifdef SANITIZE
override CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
override LDFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all
# The modules then need the ASan runtime loaded first, which programs we do
# not build (getent, su, sshd, pamtester) do not do: the tests preload it
# into them (tests/system/ns.sh, tests/nss/test_glibc.sh, test_invite.sh).
export ROSTER_ASAN_PRELOAD := $(realpath $(shell $(CC) -print-file-name=libasan.so 2>/dev/null))
export UBSAN_OPTIONS ?= print_stacktrace=1
endif

# Objects built with other flags (SANITIZE=1 or not, another CC) are never
# mixed: .build-flags holds the flags of the last build, is rewritten only
# when they change, and everything compiled depends on it (at the end).
BUILD_FLAGS := $(CC) $(CFLAGS) $(LDFLAGS)
ifneq ($(BUILD_FLAGS),$(file <.build-flags))
$(file >.build-flags,$(BUILD_FLAGS))
endif

LIB_SRCS := lib/util.c lib/codec.c lib/validate.c lib/config.c lib/password.c lib/hashslot.c lib/sysdb.c \
            lib/store.c lib/user.c lib/role.c lib/history.c lib/view_write.c lib/check.c \
            lib/view_read.c lib/auth.c lib/invite.c lib/api.c lib/transfer.c
CLI_SRCS := cli/main.c cli/output.c cli/prompt.c cli/user.c cli/role.c cli/invite.c cli/admin.c \
            cli/api.c cli/history.c cli/db.c cli/doctor.c

LIB_OBJS := $(LIB_SRCS:.c=.o)
CLI_OBJS := $(CLI_SRCS:.c=.o)

TEST_UNITS := $(patsubst %.c,%,$(sort $(wildcard tests/lib/test_*.c)))

all: lib/libroster.a cli/roster nss_module/libnss_roster.so.2 pam_module/pam_roster.so

# After "all", so that it stays the default goal; before any rule that
# names the module's variables in its prerequisites.
include nss_module/module.mk
include pam_module/module.mk
include bench/bench.mk
include tests/fuzz/fuzz.mk

lib/libroster.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

cli/roster: $(CLI_OBJS) lib/libroster.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) lib/libroster.a $(PKG_LIBS)

$(CLI_OBJS): override CFLAGS += -Ilib

tests/lib/%: tests/lib/%.c lib/libroster.a
	$(CC) $(CFLAGS) -Ilib $(LDFLAGS) -o $@ $< lib/libroster.a $(PKG_LIBS) \
		$(shell pkg-config --libs cmocka)

CLI_TESTS := tests/cli/test_users.sh tests/cli/test_prompt.sh tests/cli/test_invite.sh tests/cli/test_transfer.sh \
             tests/cli/test_admin.sh tests/cli/test_doctor.sh tests/cli/test_concurrency.sh \
             tests/cli/test_hostile.sh tests/cli/test_crash.sh tests/cli/test_full_disk.sh
# Programs the CLI tests drive: bulk, a bulk update loop for test_crash.sh.
CLI_TEST_BINS := tests/cli/bulk

tests/cli/%: tests/cli/%.c lib/libroster.a
	$(CC) $(CFLAGS) -Ilib $(LDFLAGS) -o $@ $< lib/libroster.a $(PKG_LIBS)

# Real clients (getent, id, ls, find, runuser) in a private mount namespace.
SYSTEM_TESTS := tests/system/test_nss_system.sh tests/system/test_sshd.sh tests/system/test_install.sh

# check and demo install what is missing first, then build in a sub-make:
# the pkg-config calls above must run after the -dev packages exist.
check:
	@bash scripts/deps.sh check
	@$(MAKE) --no-print-directory run-tests

run-tests: all $(TEST_UNITS) $(CLI_TEST_BINS) $(NSS_TEST_BINS) $(PAM_TEST_BINS)
ifdef SANITIZE
	@[ -n "$(ROSTER_ASAN_PRELOAD)" ] || { echo "SANITIZE=1: no libasan.so from $(CC) (use gcc)" >&2; exit 1; }
endif
	@bash tests/run.sh $(TEST_UNITS) $(CLI_TESTS) $(NSS_TESTS) $(PAM_TESTS) $(SYSTEM_TESTS)

# The NSS and PAM test programs under valgrind's memcheck, with every
# process they start (tests/valgrind.sh).  Not test_pam_timing: it measures
# how long logins take, which valgrind stretches fifty-fold and unevenly.
# Not test_pam_load: fifty argon2id computations of 64 MiB at once, each
# stretched fifty-fold, outlast the slots' max_wait (the bound it tests is
# a matter of time and memory).  Not test_pam_concurrency: it re-executes
# itself to set LD_LIBRARY_PATH, out of valgrind's sight, and measures a
# race that valgrind's serialized threads would not run.  Their code runs
# under valgrind in the other PAM and NSS tests (and under ASan in all).
VALGRIND_TESTS := $(filter-out %.sh tests/pam/test_pam_timing tests/pam/test_pam_load \
                  tests/pam/test_pam_concurrency,$(NSS_TESTS) $(PAM_TESTS))

valgrind:
	@bash scripts/deps.sh check
	@$(MAKE) --no-print-directory run-valgrind

run-valgrind: all $(NSS_TEST_BINS) $(PAM_TEST_BINS)
ifdef SANITIZE
	@echo "make valgrind: not with SANITIZE=1 (ASan and valgrind exclude each other)" >&2; exit 1
endif
	@ROSTER_TEST_WRAPPER="bash tests/valgrind.sh" bash tests/run.sh $(VALGRIND_TESTS)

demo:
	@bash scripts/deps.sh demo
	@$(MAKE) --no-print-directory all
	@bash scripts/demo.sh

deps:
	@bash scripts/deps.sh build

# Where things go.  The module directories come from the toolchain (the
# Debian multiarch triplet), never hard-coded; override LIBDIR or PAMDIR for
# another layout.  The configuration and the mail templates are installed
# only when absent, and uninstall leaves them and the databases alone.
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
LIBDIR ?= $(PREFIX)/lib$(if $(MULTIARCH),/$(MULTIARCH))
PAMDIR ?= $(LIBDIR)/security
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
PAMCONFIGDIR ?= $(DATADIR)/pam-configs
CONFDIR := $(SYSCONFDIR)/roster
MAN8 := man/roster.8 man/pam_roster.8 man/libnss_roster.8
MAN5 := man/roster.conf.5
CONF_FILES := conf/roster.conf conf/invite.mail conf/welcome.mail

install: all
	install -D -m 0755 cli/roster $(DESTDIR)$(SBINDIR)/roster
	install -D -m 0644 pam_module/pam_roster.so $(DESTDIR)$(PAMDIR)/pam_roster.so
	install -D -m 0644 nss_module/libnss_roster.so.2 $(DESTDIR)$(LIBDIR)/libnss_roster.so.2
	install -d -m 0755 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5
	install -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -D -m 0644 conf/roster.bash-completion $(DESTDIR)$(BASHCOMPDIR)/roster
	install -D -m 0644 conf/pam-configs-roster $(DESTDIR)$(PAMCONFIGDIR)/roster
	install -d -m 0755 $(DESTDIR)$(CONFDIR)
	@for f in $(CONF_FILES); do \
		t=$(DESTDIR)$(CONFDIR)/$${f#conf/}; \
		if [ -e "$$t" ]; then echo "keeping $$t"; \
		else echo "install -m 0644 $$f $$t"; install -m 0644 $$f "$$t" || exit 1; fi; \
	done
	install -d $(if $(filter 0,$(shell id -u)),-o root -g root) -m 0755 $(DESTDIR)$(LOCALSTATEDIR)/lib/roster
	@if [ -z "$(DESTDIR)" ] && command -v ldconfig >/dev/null; then echo ldconfig; ldconfig; fi
	@# On the live system, a view of another version (an upgrade) is rebuilt
	@# at once: the new module reads none of it.  db check --repair maps the
	@# database, so it is the quick way.
	@s=$(LOCALSTATEDIR)/lib/roster/view/generation; \
	if [ -z "$(DESTDIR)" ] && [ -e "$$s" ] && ! grep -q '^roster-view $(VIEW_VERSION) ' "$$s"; then \
		echo "$(SBINDIR)/roster db check --repair  (the NSS view is of another version)"; \
		$(SBINDIR)/roster db check --repair >/dev/null; \
		grep -q '^roster-view $(VIEW_VERSION) ' "$$s" || \
			echo "warning: the view is still of another version: run roster db check --repair" >&2; fi

# On the live system (no DESTDIR), take the profile out of the common-*
# files first, as a package's prerm would: a pam.d line naming a missing
# module would break every login.
uninstall:
	@if [ -z "$(DESTDIR)" ] && [ -e $(PAMCONFIGDIR)/roster ] && command -v pam-auth-update >/dev/null; then \
		echo "pam-auth-update --package --remove roster"; \
		DEBIAN_FRONTEND=noninteractive pam-auth-update --package --remove roster || exit 1; fi
	rm -f $(DESTDIR)$(SBINDIR)/roster $(DESTDIR)$(PAMDIR)/pam_roster.so \
		$(DESTDIR)$(LIBDIR)/libnss_roster.so.2 \
		$(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MAN8))) \
		$(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5))) \
		$(DESTDIR)$(BASHCOMPDIR)/roster $(DESTDIR)$(PAMCONFIGDIR)/roster
	@if [ -z "$(DESTDIR)" ] && command -v ldconfig >/dev/null; then echo ldconfig; ldconfig; fi

clean: clean-nss
	rm -f .build-flags lib/*.o lib/*.d lib/*.a cli/*.o cli/*.d cli/roster $(TEST_UNITS) tests/lib/*.d \
		$(CLI_TEST_BINS) tests/cli/*.d

.PHONY: all deps check run-tests valgrind run-valgrind demo install uninstall clean

# Everything compiled or linked with CFLAGS or LDFLAGS (see BUILD_FLAGS).
$(LIB_OBJS) $(CLI_OBJS) cli/roster $(TEST_UNITS) $(NSS_OBJS) $(NSS_SO) $(NSS_TEST_OBJS) \
$(NSS_TEST_BINS) $(PAM_OBJS) $(PAM_SO) $(PAM_TEST_OBJS) $(PAM_TEST_BINS) $(BENCH_BINS) \
bench/pam_bench tests/fuzz/dumprecords: .build-flags

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(addsuffix .d,$(CLI_TEST_BINS))
