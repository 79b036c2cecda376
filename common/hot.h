/*
 * hot: the request path's code, kept together.
 *
 * HOT marks a function that runs for every request. The compiler places
 * such functions in .text.hot, and the linker puts that section's functions
 * side by side. A worker runs after hundreds of others have had the cores,
 * with its caches and TLB cold: a request then touches two pages of code
 * instead of one or more per source file it passes through (the
 * attribution is in docs/BENCHMARKS.md, "The cost of a request among
 * many workers").
 */
#ifndef FORKLINE_HOT_H
#define FORKLINE_HOT_H

#define HOT	__attribute__((hot))

#endif
