# The benchmark scenario suite (bench/run), included by the Makefile.
#
#   make bench                  forkline alone
#   make bench PEERS=1          with floor, Apache (prefork + mod_echo), redis
#   make bench BENCH_ARGS='--only rr-c64 --repeat 5 --markdown out.md'
#   make bench-scale            memory per worker; 64 to 4096 connections
#   make bench-syscalls         system calls per request (strace)
#
# Installs the peers and gnuplot first (scripts/install-deps --bench), then
# builds the server and the load generator, in that order.

.PHONY: bench

bench:
	scripts/install-deps --bench
	$(MAKE) bin/forkline bin/forkline-bench
	bench/run $(if $(filter-out 0 no,$(PEERS)),--peers) $(BENCH_ARGS)

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
