# The benchmark scenario suite (bench/run), included by the Makefile.
#
#   make bench                  forkline alone
#   make bench PEERS=1          with floor, Apache (prefork + mod_echo), redis
#   make bench BENCH_ARGS='--only rr-c64 --repeat 5 --markdown out.md'
#
# Installs the peers and gnuplot first (scripts/install-deps --bench), then
# builds the server and the load generator, in that order.

.PHONY: bench

bench:
	scripts/install-deps --bench
	$(MAKE) bin/forkline bin/forkline-bench
	bench/run $(if $(filter-out 0 no,$(PEERS)),--peers) $(BENCH_ARGS)
