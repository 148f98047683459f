# tests/fuzz/fuzz.mk - `make fuzz`: libFuzzer targets for the parsers of
# untrusted bytes, built with clang, ASan and UBSan.  Included by the top
# Makefile, whose LIB_SRCS, NSS_SRCS, WARN and PKG_* it uses.
#
#   make fuzz                        each target for FUZZ_TIME seconds (30)
#   make fuzz FUZZ_TIME=300          longer
#   make fuzz FUZZ_TARGETS=fuzz_view one target
#   make fuzz-build                  build only: tests/fuzz/build/fuzz_*
#   make fuzz-corpus                 regenerate the seed corpus (root; after make all)
#
# A target is tests/fuzz/NAME.c defining LLVMFuzzerTestOneInput, with its
# seed corpus in tests/fuzz/corpus/NAME/.  It links the library and the NSS
# module, both compiled again here with clang; adding one is adding its name
# to FUZZ_TARGETS.  Everything built goes to tests/fuzz/build/, apart from
# the objects of make all, so neither build reuses the other's.

fuzz_saved_goal := $(.DEFAULT_GOAL)

FUZZ_CC ?= clang
FUZZ_TIME ?= 30
FUZZ_TARGETS ?= fuzz_record fuzz_view fuzz_config fuzz_import
FUZZ_OUT := tests/fuzz/build

FUZZ_SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -std=gnu11 -O1 -g -fno-omit-frame-pointer -MMD -MP \
	$(filter-out -Wno-format-truncation,$(WARN)) \
	-D_GNU_SOURCE -DROSTER_VERSION='"$(VERSION)"' \
	-DSYSCONFDIR='"$(SYSCONFDIR)"' -DLOCALSTATEDIR='"$(LOCALSTATEDIR)"' \
	-Ilib $(PKG_CFLAGS) $(FUZZ_SANITIZE)
FUZZ_OBJS := $(addprefix $(FUZZ_OUT)/,$(LIB_SRCS:.c=.o) $(NSS_SRCS:.c=.o))
FUZZ_LIB := $(FUZZ_OUT)/libroster-fuzz.a
FUZZ_BINS := $(addprefix $(FUZZ_OUT)/,$(FUZZ_TARGETS))

# The library and the module, instrumented for coverage (fuzzer-no-link).
$(FUZZ_OUT)/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

# An archive: each target takes only the members it needs.
$(FUZZ_LIB): $(FUZZ_OBJS)
	$(AR) rcs $@ $^

$(FUZZ_OUT)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) $(PKG_LIBS) -pthread

fuzz-build: $(FUZZ_BINS)

fuzz:
	@bash scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory fuzz-build
	@bash tests/fuzz/run.sh $(FUZZ_TIME) $(FUZZ_BINS)

# Records and shards from a small database made with the real CLI.
tests/fuzz/dumprecords: tests/fuzz/dumprecords.c
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(shell pkg-config --libs tdb 2>/dev/null)

fuzz-corpus: cli/roster tests/fuzz/dumprecords
	bash tests/fuzz/mkcorpus.sh

fuzz-clean:
	rm -rf $(FUZZ_OUT) tests/fuzz/dumprecords tests/fuzz/*.d

clean: fuzz-clean

.PHONY: fuzz fuzz-build fuzz-corpus fuzz-clean

-include $(FUZZ_OBJS:.o=.d) $(FUZZ_BINS:=.d) tests/fuzz/dumprecords.d

.DEFAULT_GOAL := $(fuzz_saved_goal)
