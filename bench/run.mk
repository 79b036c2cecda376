# The benchmark scenario suite (bench/run), included by the Makefile.
#
#   make bench                  forkline alone
#   make bench PEERS=1          with floor, Apache (prefork + mod_echo), redis
#   make bench PEERS=floor      with those named (comma-separated: floor,apache)
#   make bench BENCH_ARGS='--only rr-c64 --repeat 5 --markdown out.md'
#   make bench-compare COMPARE=/other/bin/forkline
#                               A/B: bin/forkline against another binary
#   make bench-scale            memory per worker; 64 to 4096 connections
#   make bench-syscalls         system calls per request (strace)
#   make bench-faults           [faults] measured: each delay distribution's
#                               median and p99, and injected probabilities
#
# Installs the peers and gnuplot first (scripts/install-deps --bench), then
# builds the server, the load generator and the floor, in that order.
# PEERS empty, 0 or no: forkline alone; 1 or yes: bench/run --peers (all
# three); anything else is the list: bench/run --peers floor,apache. The
# c=1024 cells run on pools of 1040 processes per prefork server, the
# others on 272 (bench/run --workers).

.PHONY: bench

BENCH_PEERS = $(if $(filter-out 0 no,$(PEERS)),--peers \
	$(filter-out 1 yes,$(PEERS)))

bench:
	scripts/install-deps --bench
	$(MAKE) bin/forkline bin/forkline-bench $(FLOOR)
	bench/run $(BENCH_PEERS) --floor $(FLOOR) $(BENCH_ARGS)

# The floor, bench/run's least prefork server (bench/floor.c): one file,
# nothing linked, the project's warnings.
FLOOR	= $(BUILD)/bench/floor

$(FLOOR): bench/floor.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARNINGS) $(CFLAGS) $(EXTRA_CFLAGS) \
	    $(LDFLAGS) -o $@ bench/floor.c

# An A/B run of two forkline binaries (bench/run --compare): bin/forkline
# and COMPARE, configured alike, alternating round by round over the
# scenarios of COMPARE_SCENARIOS, with their paired ratios. BENCH_ARGS as
# for make bench: BENCH_ARGS='--repeat 5 --seconds 3'.
.PHONY: bench-compare

COMPARE_SCENARIOS = rr-c16,rr-c64,rr-c256,connect-c16,stream-c4

bench-compare:
	@test -n "$(COMPARE)" || { echo "usage: make bench-compare" \
	    "COMPARE=/path/to/other/bin/forkline" >&2; exit 2; }
	scripts/install-deps --bench
	$(MAKE) bin/forkline bin/forkline-bench
	bench/run --compare $(COMPARE) --only $(COMPARE_SCENARIOS) $(BENCH_ARGS)

# Memory per worker and forkline from 64 to 4096 connections (bench/scale),
# and system calls per request (bench/syscalls, needs strace).
.PHONY: bench-scale bench-syscalls

bench-scale:
	scripts/install-deps --bench
	$(MAKE) bin/forkline bin/forkline-bench
	bench/scale $(SCALE_ARGS)

bench-syscalls:
	scripts/install-deps --bench
	$(MAKE) bin/forkline bin/forkline-bench
	bench/syscalls

# Fault injection against docs/FAULTS.md (bench/faults): the median and
# p99 of every delay distribution within 10 %, and reset and error rates
# with forkline-bench --expect-faults. About a minute and a half; needs
# nothing the build does not. FAULTS_ARGS='--conns 8 --scale 2'.
.PHONY: bench-faults

bench-faults:
	$(MAKE) bin/forkline bin/forkline-bench
	bench/faults $(FAULTS_ARGS)

# Parking idle connections in the lobby (bench/lobby): the cost of a park
# and a wake-up, the rr cells with parking on and off, 2000 idle
# connections on 4 workers, an open loop of 1000 connections (and redis,
# when installed), and 50 000 connections on 16 workers when the file
# limit allows. A few minutes. LOBBY_ARGS='--only parking,idle --conns 100'.
.PHONY: bench-lobby

bench-lobby:
	scripts/install-deps --bench
	$(MAKE) bin/forkline bin/forkline-bench
	bench/lobby $(LOBBY_ARGS)

# Drains under persistent connections (bench/drains): a reload, a binary
# upgrade, recycling and a shrinking pool under 32 and 256 closed-loop
# connections that take nothing but PONG; errors and reconnects must be
# 0 (exit status 1 otherwise). About two minutes.
# DRAINS_ARGS='--conns 32 --events reload,upgrade'.
.PHONY: bench-drains

bench-drains:
	scripts/install-deps --bench
	$(MAKE) bin/forkline bin/forkline-bench
	bench/drains $(DRAINS_ARGS)
