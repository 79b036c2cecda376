# bench.mk: forkline-bench, the load generator (included by the Makefile).
#
# bin/forkline-bench is built from build/libbench.a, which the bench's
# unit tests (tests/unit/check_bench_*.c) link too. The library carries
# its own copy of common/net.o (target addresses; it needs escape.o), so a test that links
# it needs nothing else from libforkline.a.

BENCH_LIB_SRCS	= bench/histogram.c bench/options.c bench/client.c bench/conn.c \
		  bench/faults.c
BENCH_LIB_OBJS	= $(BENCH_LIB_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/common/net.o \
		  $(BUILD)/common/escape.o $(BUILD)/common/prob.o
BENCH_MAIN_OBJ	= $(BUILD)/bench/forkline-bench.o
BENCH_LIB	= $(BUILD)/libbench.a
BENCH_UNIT_BINS	= $(BUILD)/tests/unit/check_bench_histogram \
		  $(BUILD)/tests/unit/check_bench_options \
		  $(BUILD)/tests/unit/check_bench_faults
# Recursive, like PKG_LIBS: pkg-config runs once deps has installed it.
# libm: the fault intervals (bench/faults.c) take a square root.
BENCH_PKG_LIBS	= $(shell pkg-config --libs libevent) -lm

$(BIN)/forkline-bench: $(BENCH_MAIN_OBJ) $(BENCH_LIB) | deps
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(BENCH_MAIN_OBJ) $(BENCH_LIB) $(BENCH_PKG_LIBS)

$(BENCH_LIB): $(BENCH_LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

# The unit rule links $^: these add the bench library to it.
$(BENCH_UNIT_BINS): $(BENCH_LIB)
