/*
 * faults: signal random workers of a running forkline, remember which and
 * when, watch them go, and decide which client errors they explain.
 *
 * A victim is a current child of the master (/proc/PID/task/PID/children)
 * that is neither a zombie nor stopped and was not hit before. The time of
 * a fault is taken just before kill(2), so an error it causes can never
 * seem to come first. Only the test's main thread uses this.
 */
#ifndef FORKLINE_CHAOS_FAULTS_H
#define FORKLINE_CHAOS_FAULTS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "tests/support/harness.h"
#include "tests/support/load.h"

#define FAULTS_MAX	4096

struct fault {
	pid_t	 pid;
	int64_t	 at_ms;		/* just before kill(2) */
	int64_t	 gone_ms;	/* first seen reaped by the master; 0: not
				   yet */
	int	 errors;	/* client errors it explains */
};

struct faults {
	const struct server	*s;
	int			 sig;
	unsigned		 seed0;		/* as chosen, for CHAOS_SEED */
	unsigned		 seed;		/* rand_r's state */
	int			 n;
	struct fault		 list[FAULTS_MAX];
	int			 zombies_max;	/* most Z children seen at once
						   (counted every 50 ms) */
	int64_t			 census_ms;	/* when zombies were counted */
};

/* Seeded from CHAOS_SEED if set (to replay a run), else from the clock. */
void	 faults_init(struct faults *f, const struct server *s, int sig);
/* Signal one victim; its pid, or 0 if there was none to hit. */
pid_t	 faults_inject(struct faults *f);
/* Look at the master's children once: note the victims reaped since. */
void	 faults_watch(struct faults *f);
/* Sleep until deadline (monotonic ms), watching every 5 ms. */
void	 faults_sleep_until(struct faults *f, int64_t deadline);
/* True when every victim has been reaped by the master. */
bool	 faults_all_gone(const struct faults *f);
/* The time of the last fault (0: none). */
int64_t	 faults_last_ms(const struct faults *f);

/* Median and maximum of gone_ms - at_ms over the victims gone. */
void	 faults_gone_stats(const struct faults *f, int64_t *median,
	    int64_t *max);

/*
 * Attribution. An error with a known worker pid is explained by the fault
 * that hit that pid while it served the client, if the error came within
 * window_ms after it. An
 * error while asking INFO (pid not known yet) is explained by a fault in
 * the window that explains nothing else, if there is one.
 */
struct attribution {
	int	 by_pid;	/* explained by the fault on the client's worker */
	int	 during_info;	/* explained by some fault in the window */
	int	 unexplained;
	int	 max_per_fault;	/* errors explained by one fault, at most */
	int	 faults_with_errors;
	int64_t	 max_delay_ms;	/* fault to error, over explained ones */
	char	 first_unexplained[768];
	int64_t	 origin_ms;	/* the first fault's time, for messages */
};
void	 faults_attribute(struct faults *f, const struct load_error *errs,
	    int n, int window_ms, struct attribution *a);

/* Median and maximum of n values (sorted in place); 0 when n is 0. */
void	 stats_median_max(int64_t *v, int n, int64_t *median, int64_t *max);

#endif
