# forkline — GNU make.
#
#   make            build bin/forkline
#   make run        build and run in the foreground on the embedded defaults
#   make check      build and run every unit and integration test, the
#                   short chaos runs, lint and the units under a real systemd
#   make build-tests  build everything make check runs, without running it
#                   (make -j2 build-tests && make check: a parallel build,
#                   then the tests one at a time, as their timing wants)
#   make install    PREFIX=/usr/local DESTDIR=
#   make clean
#   make check-sanitize   the tests under ASan+UBSan, with clang and gcc
#   make check-valgrind   integration suites with the server under memcheck
#   make lint       the layers: includes, calls between the objects, circles
#
# BUILD and BIN name the object and binary directories, so that other
# builds of the same tree (with other compilers or flags) do not overwrite
# this one: make BUILD=build/x BIN=build/x/bin CC=clang check.
#
# Missing build dependencies are installed by scripts/install-deps before
# anything is compiled (see the "deps" target).

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
SYSCONFDIR ?= $(PREFIX)/etc
MANDIR	?= $(PREFIX)/share/man
UNITDIR	?= $(PREFIX)/lib/systemd/system
UNITS	 = forkline.service forkline@.service forkline.socket
CFLAGS	?= -O2 -g
BUILD	?= build
BIN	?= bin
VERSION	:= 0.1.0

PKGS	 = libevent inih libsystemd
TESTPKGS = check
WARNINGS = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wpointer-arith -Wformat=2
# Recursive (=) on purpose: pkg-config runs when a recipe needs the flags,
# which is after the deps target has installed what was missing.
PKG_CFLAGS  = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS    = $(shell pkg-config --libs $(PKGS)) -lm
TEST_CFLAGS = $(shell pkg-config --cflags $(TESTPKGS))
TEST_LIBS   = $(shell pkg-config --libs $(TESTPKGS))
ALL_CFLAGS  = -std=c11 -D_GNU_SOURCE -DFORKLINE_VERSION='"$(VERSION)"' -I. \
	      $(WARNINGS) $(PKG_CFLAGS) $(CFLAGS) $(EXTRA_CFLAGS)

LIB_SRCS = $(wildcard common/*.c conf/*.c worker/*.c lobby/*.c) \
	   $(filter-out server/main.c,$(wildcard server/*.c))
LIB_OBJS = $(LIB_SRCS:%.c=$(BUILD)/%.o)
MAIN_OBJ = $(BUILD)/server/main.o
LIB	 = $(BUILD)/libforkline.a

UNIT_SRCS   = $(wildcard tests/unit/check_*.c)
UNIT_BINS   = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
INTEG_SRCS  = $(wildcard tests/integration/check_*.c)
INTEG_BINS  = $(INTEG_SRCS:tests/integration/%.c=$(BUILD)/tests/integration/%)
SUPPORT_OBJS = $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/support/*.c))

.PHONY: all run check build-tests unit integration install uninstall clean \
	deps test-deps lint

all: $(BIN)/forkline $(BIN)/forkline-bench

deps:
	@pkg-config --exists $(PKGS) $(TESTPKGS) 2>/dev/null || scripts/install-deps

# The systemd tests also need systemd-analyze and systemd-socket-activate,
# and to boot systemd in a container systemd-nspawn and the system's own
# python3 (the only one the container sees); the scale-out test needs
# haproxy (it skips itself without it).
test-deps: deps
	@command -v systemd-analyze >/dev/null 2>&1 && \
	    command -v systemd-socket-activate >/dev/null 2>&1 && \
	    command -v systemd-nspawn >/dev/null 2>&1 && \
	    test -x /usr/bin/python3 && \
	    command -v haproxy >/dev/null 2>&1 || \
	    scripts/install-deps --test-tools

$(BIN)/forkline: $(MAIN_OBJ) $(LIB) | deps
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(MAIN_OBJ) $(LIB) $(PKG_LIBS)

$(LIB): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/%.o: %.c | deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS_$(findstring tests/,$<)) -MMD -MP -c -o $@ $<

# Test sources also see Check's headers.
TEST_CFLAGS_tests/ = $(TEST_CFLAGS)

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(LIB) | deps
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(TEST_LIBS)

# -pthread: the support's load engine can run its clients on a thread.
$(BUILD)/tests/integration/%: $(BUILD)/tests/integration/%.o $(SUPPORT_OBJS) $(LIB) | deps
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(PKG_LIBS) $(TEST_LIBS)

run: $(BIN)/forkline
	$(BIN)/forkline

# What make check runs. The sanitizer builds run the first three
# (tests/sanitize.mk): the last two check the layers and the units, not
# the code's behaviour.
CHECK_SUITES = unit integration check-chaos-short
check: $(CHECK_SUITES) lint check-systemd-boot

# The layers (docs/ARCHITECTURE.md, "Keeping the layers"): which includes
# and which calls may cross from one folder to another, and no circle of
# calls between objects. From the product's objects, so it runs after they
# are built and sees what the linker sees. The self-test first: a lint
# that has stopped finding anything (another nm, another awk) fails
# rather than passes. Not among check's prerequisites until the tree
# passes it; then it is one more word there.
lint: $(LIB_OBJS) $(MAIN_OBJ)
	@CC="$(CC)" scripts/lint --self-test
	@scripts/lint $(BUILD)

unit: $(UNIT_BINS)
	@tests/run-suites $(UNIT_BINS)

integration: $(BIN)/forkline $(BIN)/forkline-bench $(INTEG_BINS) | test-deps
	@FORKLINE_BIN=$(abspath $(BIN))/forkline \
	    FORKLINE_BENCH_BIN=$(abspath $(BIN))/forkline-bench \
	    tests/run-suites $(INTEG_BINS)

# The units name /usr/local paths; they are rewritten for PREFIX here. A
# forkline.conf already installed is the operator's and is never replaced.
install: $(BIN)/forkline $(BIN)/forkline-bench
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/forkline \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(UNITDIR)
	install -m 0755 $(BIN)/forkline $(DESTDIR)$(BINDIR)/forkline
	install -m 0755 $(BIN)/forkline-bench $(DESTDIR)$(BINDIR)/forkline-bench
	install -m 0644 conf/forkline.conf $(DESTDIR)$(SYSCONFDIR)/forkline/forkline.conf.example
	test -e $(DESTDIR)$(SYSCONFDIR)/forkline/forkline.conf || \
	    install -m 0644 conf/forkline.conf $(DESTDIR)$(SYSCONFDIR)/forkline/forkline.conf
	for u in $(UNITS); do \
		sed -e 's|/usr/local/bin/forkline|$(BINDIR)/forkline|' \
		    -e 's|/usr/local/etc/forkline|$(SYSCONFDIR)/forkline|' \
		    systemd/$$u > $(DESTDIR)$(UNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -m 0644 docs/forkline.8 $(DESTDIR)$(MANDIR)/man8/forkline.8
	install -d $(DESTDIR)$(MANDIR)/man1
	install -m 0644 docs/forkline-bench.1 $(DESTDIR)$(MANDIR)/man1/forkline-bench.1
	install -m 0644 docs/forkline.conf.5 $(DESTDIR)$(MANDIR)/man5/forkline.conf.5

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/forkline
	rm -f $(DESTDIR)$(BINDIR)/forkline-bench
	rm -f $(DESTDIR)$(MANDIR)/man1/forkline-bench.1
	rm -f $(DESTDIR)$(SYSCONFDIR)/forkline/forkline.conf.example
	rm -f $(DESTDIR)$(MANDIR)/man8/forkline.8
	rm -f $(DESTDIR)$(MANDIR)/man5/forkline.conf.5
	for u in $(UNITS); do rm -f $(DESTDIR)$(UNITDIR)/$$u; done

clean:
	rm -rf $(BUILD) $(BIN)

include bench/bench.mk
include tests/chaos/chaos.mk
include tests/fuzz/fuzz.mk
include bench/run.mk
include tests/sanitize.mk
include tests/systemd-boot/boot.mk

# After the includes: CHAOS_BINS comes from tests/chaos/chaos.mk.
build-tests: all $(UNIT_BINS) $(INTEG_BINS) $(CHAOS_BINS)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
