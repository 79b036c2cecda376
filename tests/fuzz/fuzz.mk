# Fuzzing with libFuzzer: included by the Makefile.
#
#   make fuzz [FUZZ_SECONDS=60]   build every harness, run each for
#                                 FUZZ_SECONDS on a scratch copy of its seeds
#   make fuzz FUZZ_JOBS=2         two harnesses at a time (one per core)
#   make fuzz-build               only build them (build/fuzz/fuzz_NAME)
#   make fuzz-corpus              merge what the last run found that adds
#                                 coverage into tests/fuzz/corpus/NAME
#
# Independent of the normal build: clang, its own flags and objects under
# build/fuzz/. The library code is instrumented for coverage and checked by
# AddressSanitizer and UBSan (fuzzer-no-link); each harness is linked with
# libFuzzer's main. A sanitizer report or a harness invariant (abort) stops
# the run, saves the input under build/fuzz/artifacts/ and fails the target.

FUZZ_CC		?= clang
FUZZ_SECONDS	?= 60
FUZZ_JOBS	?= 1
FUZZ_SANITIZE	 = address,undefined
FUZZ_CFLAGS	 = -std=c11 -D_GNU_SOURCE -DFORKLINE_VERSION='"$(VERSION)"' \
		   -I. $(WARNINGS) $(PKG_CFLAGS) -g -O1 \
		   -fno-omit-frame-pointer -fno-sanitize-recover=all

FUZZ_LIB_SRCS	 = $(wildcard common/*.c conf/*.c worker/*.c)
FUZZ_LIB_OBJS	 = $(FUZZ_LIB_SRCS:%.c=build/fuzz/%.o)
FUZZ_LIB	 = build/fuzz/libforkline-fuzz.a
FUZZ_SRCS	 = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS	 = $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)

.PHONY: fuzz fuzz-build fuzz-corpus fuzz-deps

fuzz: fuzz-build
	@FUZZ_JOBS=$(FUZZ_JOBS) tests/fuzz/run-fuzz run $(FUZZ_SECONDS) $(FUZZ_BINS)

fuzz-corpus: fuzz-build
	@tests/fuzz/run-fuzz merge 0 $(FUZZ_BINS)

fuzz-build: $(FUZZ_BINS)

# clang with the libFuzzer and sanitizer runtimes (and the libraries).
fuzz-deps:
	@scripts/install-deps --sanitize

build/fuzz/%.o: %.c | fuzz-deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SANITIZE) \
	    -MMD -MP -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB) | fuzz-deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SANITIZE) \
	    -MMD -MP -MF $@.d -o $@ $< $(FUZZ_LIB) $(PKG_LIBS)
