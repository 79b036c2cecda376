# Chaos tests (tests/chaos): faults injected into a loaded forkline.
# Included by the Makefile.
#
#   make check-chaos        the full run, CHAOS_SECONDS (30) per scenario
#   make check-chaos-short  the same scenarios for CHAOS_SHORT_SECONDS (3)
#                           each; part of make check
#
# Each scenario prints its measured figures in a "chaos:" line. The
# clients are tests/support's load engine (load.h), on a thread of their
# own while the test injects faults.

CHAOS_SECONDS	    ?= 30
CHAOS_SHORT_SECONDS ?= 3
CHAOS_OBJS = $(BUILD)/tests/chaos/faults.o
CHAOS_BINS = $(BUILD)/tests/chaos/check_chaos

.PHONY: check-chaos check-chaos-short

$(BUILD)/tests/chaos/check_chaos: $(BUILD)/tests/chaos/check_chaos.o \
    $(CHAOS_OBJS) $(SUPPORT_OBJS) $(LIB) | deps
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(PKG_LIBS) $(TEST_LIBS)

check-chaos: $(BIN)/forkline $(CHAOS_BINS) | test-deps
	@CHAOS_SECONDS=$(CHAOS_SECONDS) FORKLINE_BIN=$(abspath $(BIN))/forkline \
	    tests/run-suites $(CHAOS_BINS)

check-chaos-short: $(BIN)/forkline $(CHAOS_BINS) | test-deps
	@CHAOS_SECONDS=$(CHAOS_SHORT_SECONDS) \
	    FORKLINE_BIN=$(abspath $(BIN))/forkline tests/run-suites $(CHAOS_BINS)
