# roster - see README.md.  `make`, `make check`, `make demo`, `make install`.
PREFIX ?= /usr
SYSCONFDIR ?= /etc
LOCALSTATEDIR ?= /var
SBINDIR ?= $(PREFIX)/sbin
DESTDIR ?=
VERSION := 0.1.0

CC ?= cc
PKGS := tdb libsodium inih jansson uuid
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
        -Wno-format-nonliteral -Wno-format-truncation -Werror
override CFLAGS := -std=gnu11 -O2 -g -fPIC -fvisibility=hidden $(WARN) -MMD -MP \
	-D_GNU_SOURCE -DROSTER_VERSION='"$(VERSION)"' \
	-DSYSCONFDIR='"$(SYSCONFDIR)"' -DLOCALSTATEDIR='"$(LOCALSTATEDIR)"' \
	$(PKG_CFLAGS) $(CFLAGS)
ifdef SANITIZE
override CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer
override LDFLAGS += -fsanitize=address,undefined
endif

LIB_SRCS := lib/util.c lib/codec.c lib/validate.c lib/config.c lib/password.c lib/sysdb.c \
            lib/store.c lib/user.c lib/role.c lib/history.c lib/view_write.c lib/check.c \
            lib/view_read.c lib/auth.c lib/invite.c lib/api.c
CLI_SRCS := cli/main.c cli/output.c cli/prompt.c cli/user.c cli/role.c cli/invite.c cli/admin.c \
            cli/api.c cli/history.c cli/db.c

LIB_OBJS := $(LIB_SRCS:.c=.o)
CLI_OBJS := $(CLI_SRCS:.c=.o)

TEST_UNITS := $(patsubst %.c,%,$(sort $(wildcard tests/lib/test_*.c)))

all: lib/libroster.a cli/roster nss_module/libnss_roster.so.2 pam_module/pam_roster.so

# After "all", so that it stays the default goal; before any rule that
# names the module's variables in its prerequisites.
include nss_module/module.mk
include pam_module/module.mk

lib/libroster.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

cli/roster: $(CLI_OBJS) lib/libroster.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) lib/libroster.a $(PKG_LIBS)

$(CLI_OBJS): override CFLAGS += -Ilib

tests/lib/%: tests/lib/%.c lib/libroster.a
	$(CC) $(CFLAGS) -Ilib $(LDFLAGS) -o $@ $< lib/libroster.a $(PKG_LIBS) \
		$(shell pkg-config --libs cmocka)

CLI_TESTS := tests/cli/test_users.sh tests/cli/test_prompt.sh tests/cli/test_invite.sh \
             tests/cli/test_admin.sh tests/cli/test_concurrency.sh
# Real clients (getent, id, ls, find, runuser) in a private mount namespace.
SYSTEM_TESTS := tests/system/test_nss_system.sh tests/system/test_sshd.sh

# check and demo install what is missing first, then build in a sub-make:
# the pkg-config calls above must run after the -dev packages exist.
check:
	@bash scripts/deps.sh check
	@$(MAKE) --no-print-directory run-tests

run-tests: all $(TEST_UNITS) $(NSS_TEST_BINS) $(PAM_TEST_BINS)
	@bash tests/run.sh $(TEST_UNITS) $(CLI_TESTS) $(NSS_TESTS) $(PAM_TESTS) $(SYSTEM_TESTS)

demo:
	@bash scripts/deps.sh demo
	@$(MAKE) --no-print-directory all
	@bash scripts/demo.sh

deps:
	@bash scripts/deps.sh build

install: all
	install -D -m 0755 cli/roster $(DESTDIR)$(SBINDIR)/roster
	install -d -m 0755 $(DESTDIR)$(LOCALSTATEDIR)/lib/roster
	@if [ ! -e $(DESTDIR)$(SYSCONFDIR)/roster/roster.conf ]; then \
		install -D -m 0644 conf/roster.conf $(DESTDIR)$(SYSCONFDIR)/roster/roster.conf; fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/roster

clean: clean-nss
	rm -f lib/*.o lib/*.d lib/*.a cli/*.o cli/*.d cli/roster $(TEST_UNITS) tests/lib/*.d

.PHONY: all deps check run-tests demo install uninstall clean

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d)
