# tests/sanitize.mk: make check-sanitize and make check-valgrind.
# Included by the Makefile; see "Testing" in README.md.

# The whole test suite built with ASan + UBSan, once per compiler, each in
# its own BUILD directory so the normal build is left alone.
SAN_FLAGS	 = -fsanitize=address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=undefined
SAN_CFLAGS	 = -O1 -g $(SAN_FLAGS)
# gcc (12) links ASan and UBSan as two runtimes, each with its own copy of
# the reporting code: shared, UBSan ignores log_path and reports on stderr;
# with only UBSan static, ASan does. With both static every report goes to
# log_path (tried on a heap overflow, a leak in a forked child that
# switched to nobody, and a signed overflow). clang has one runtime.
SAN_LDFLAGS_gcc	 = -static-libasan -static-libubsan
SAN_LDFLAGS_clang =
SAN_COMPILERS	 = clang gcc
# Sanitized processes are slower, and each does a leak check as it exits
# (64 workers retiring at once in check_supervise): the harness's waits
# and Check's limits are doubled.
SAN_SLOW	 = 2

.PHONY: check-sanitize sanitize-deps $(SAN_COMPILERS:%=check-sanitize-%)

sanitize-deps:
	@scripts/install-deps --sanitize

# One compiler after the other, not in parallel under make -j: the tests
# have timing bounds and the machine is shared. Both run even if the first
# fails, so one report names everything.
check-sanitize: sanitize-deps
	@rc=0; for cc in $(SAN_COMPILERS); do \
		$(MAKE) --no-print-directory check-sanitize-$$cc || rc=1; \
	done; exit $$rc

# What runs: by default every suite of make check but the units under
# systemd (CHECK_SUITES, in the Makefile), which test the unit files, and
# whose sanitizer reports, from inside a container, would never reach
# run-checked's folder; .ci/run narrows it for one compiler to save time
# (SAN_CHECK="unit integration").
SAN_CHECK	?= $(CHECK_SUITES)
# The build runs on every core first (make build-tests), the suites after
# it one at a time.
SAN_BUILD_JOBS	 = $(shell nproc 2>/dev/null || echo 1)
SAN_MAKE	 = $(MAKE) --no-print-directory \
		   BUILD=build/asan-$* BIN=build/asan-$*/bin CC=$* \
		   CFLAGS='$(SAN_CFLAGS)' \
		   LDFLAGS='$(SAN_FLAGS) $(SAN_LDFLAGS_$*)'

$(SAN_COMPILERS:%=check-sanitize-%): check-sanitize-%: sanitize-deps
	@echo "== check-sanitize: $* ($$($* --version | head -n 1))"
	@$(SAN_MAKE) -j$(SAN_BUILD_JOBS) build-tests
	@FORKLINE_TEST_SLOW=$(SAN_SLOW) CK_TIMEOUT_MULTIPLIER=$(SAN_SLOW) \
	    tests/sanitize/run-checked $* $(SAN_MAKE) $(SAN_CHECK)

# Integration suites with the master and its workers under valgrind
# memcheck (tests/valgrind/forkline-vg as FORKLINE_BIN), on the normal
# build. Each suite here starts servers with workers; memcheck makes them
# some 20 times slower, so the harness's waits and Check's limits are
# scaled (VG_SLOW).
#
# Left out: daemon, creds, lobby, upgrade, systemd and scaleout. Their
# tests read process titles through ps or /proc/PID/cmdline (daemon,
# creds; lobby finds the lobby and the workers by theirs), copy
# FORKLINE_BIN (here a script) to upgrade it (upgrade, systemd), or bound
# a load that memcheck stretches (scaleout); they run under the
# sanitizers instead. So does the inherited-listener test, which is
# check_systemd's.
VG_SUITES	 = protocol lifecycle supervise reload admin cli limits status \
		   logs
VG_BINS		 = $(VG_SUITES:%=$(BUILD)/tests/integration/check_%)
VG_SLOW		 = 5
# Check tags of the tests left out, each for a reason that is valgrind's,
# not forkline's: "proctitle", ps shows valgrind's command line, not the
# process title forkline writes over its own argv; "kill-sigsegv",
# memcheck can lose a SIGSEGV sent with kill(2) (check_supervise.c).
VG_EXCLUDE_TAGS	 = proctitle kill-sigsegv

.PHONY: check-valgrind

check-valgrind: sanitize-deps $(BIN)/forkline $(VG_BINS) | test-deps
	@echo "== check-valgrind: $$(valgrind --version), suites: $(VG_SUITES)"
	@FORKLINE_TEST_SLOW=$(VG_SLOW) CK_EXCLUDE_TAGS="$(VG_EXCLUDE_TAGS)" \
	    tests/valgrind/run \
	    $(abspath $(BIN))/forkline $(VG_BINS)
