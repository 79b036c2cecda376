/*
 * backoff: when to restart a worker that died, and when the pool as a
 * whole is crash-looping. Pure: time and randomness come in as arguments.
 */
#ifndef FORKLINE_BACKOFF_H
#define FORKLINE_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

/* A worker that lived at least this long did not die "early". */
#define BACKOFF_STABLE_MS	5000

/* N early deaths within the window make a crash loop. */
#define CRASHLOOP_DEATHS	5
#define CRASHLOOP_WINDOW_MS	10000

struct backoff {
	int64_t		 delay_ms;	/* last delay; 0 after a stable run */
};

/*
 * After an exit: the delay before the slot's next start. An early death
 * doubles the slot's delay (initial, 2x, 4x ... max); a stable run resets
 * it and restarts at once. The delay returned is jittered into
 * [delay/2, delay] with rnd, so slots that died together do not restart
 * in lock step.
 */
int64_t	 backoff_next(struct backoff *b, bool early, int64_t initial_ms,
	    int64_t max_ms, uint32_t rnd);

struct crashloop {
	int64_t		 window_start_ms;
	int		 deaths;	/* early deaths in this window */
	bool		 looping;	/* the threshold was hit */
	int		 suppressed;	/* deaths not logged one by one */
};

/*
 * Count an early death. Returns true when it should be logged on its own
 * line; false once the pool is in a crash loop, when deaths are only
 * counted and crashloop_summary reports them once per window.
 */
bool	 crashloop_note(struct crashloop *c, int64_t now_ms);

/*
 * Once per window while looping: returns the number of deaths to report
 * in one summary line (0: nothing to say now). Leaves the loop after a
 * window without early deaths.
 */
int	 crashloop_summary(struct crashloop *c, int64_t now_ms);

/* True when no worker has been serving for fatal_after_ms (0: never). */
bool	 crashloop_fatal(int64_t last_serving_ms, int64_t now_ms,
	    int64_t fatal_after_ms);

#endif
