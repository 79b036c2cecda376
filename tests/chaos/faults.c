/*
 * faults: see faults.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/chaos/faults.h"

#define ZOMBIE_CENSUS_MS	50
#define PID_REUSE_MS		1000

static struct fault *fault_of(struct faults *f, pid_t pid);
static struct fault *fault_on(struct faults *f,
		    const struct load_error *e);
static int	 cmp_i64(const void *a, const void *b);
static struct fault *fault_unused_before(struct faults *f, int64_t at,
		    int window_ms);
static void	 note_unexplained(struct attribution *a,
		    const struct load_error *e, const char *why);

void
faults_init(struct faults *f, const struct server *s, int sig)
{
	const char	*seed = getenv("CHAOS_SEED");
	struct timespec	 ts;

	memset(f, 0, sizeof(*f));
	f->s = s;
	f->sig = sig;
	clock_gettime(CLOCK_REALTIME, &ts);
	f->seed = seed != NULL ? (unsigned)strtoul(seed, NULL, 10) :
	    (unsigned)(ts.tv_nsec ^ ts.tv_sec);
	f->seed0 = f->seed;
}

static struct fault *
fault_of(struct faults *f, pid_t pid)
{
	int	 i;

	for (i = f->n - 1; i >= 0; i--)
		if (f->list[i].pid == pid)
			return &f->list[i];
	return NULL;
}

pid_t
faults_inject(struct faults *f)
{
	pid_t	 kids[HARNESS_MAX_PIDS], cand[HARNESS_MAX_PIDS];
	struct fault *x;
	int	 n, i, ncand = 0;
	char	 st;

	ck_assert_msg(f->n < FAULTS_MAX, "more than %d faults", FAULTS_MAX);
	n = server_workers(f->s, kids, HARNESS_MAX_PIDS);
	for (i = 0; i < n; i++) {
		st = ps_state(kids[i]);
		if (st == '\0' || st == 'Z' || st == 'X' || st == 'T' ||
		    st == 't' || fault_of(f, kids[i]) != NULL)
			continue;
		cand[ncand++] = kids[i];
	}
	if (ncand == 0)
		return 0;
	x = &f->list[f->n];
	x->pid = cand[rand_r(&f->seed) % (unsigned)ncand];
	x->at_ms = harness_now_ms();
	x->gone_ms = 0;
	x->errors = 0;
	if (kill(x->pid, f->sig) == -1) {
		/* It died between the look and the kill: not a fault. */
		ck_assert_msg(errno == ESRCH, "kill(%ld, %s): %s",
		    (long)x->pid, sigabbrev_np(f->sig), strerror(errno));
		return 0;
	}
	f->n++;
	return x->pid;
}

void
faults_watch(struct faults *f)
{
	pid_t	 kids[HARNESS_MAX_PIDS];
	int	 n, i, j, z = 0;
	int64_t	 now = harness_now_ms();
	bool	 found;

	n = server_workers(f->s, kids, HARNESS_MAX_PIDS);
	/* A look at every child's state costs a file each: now and then. */
	if (now - f->census_ms >= ZOMBIE_CENSUS_MS) {
		f->census_ms = now;
		for (i = 0; i < n; i++)
			if (ps_state(kids[i]) == 'Z')
				z++;
		if (z > f->zombies_max)
			f->zombies_max = z;
	}
	for (i = 0; i < f->n; i++) {
		if (f->list[i].gone_ms != 0)
			continue;
		found = false;
		for (j = 0; j < n && !found; j++)
			found = kids[j] == f->list[i].pid;
		if (!found)
			f->list[i].gone_ms = now;
	}
}

void
faults_sleep_until(struct faults *f, int64_t deadline)
{
	int64_t	 left;

	for (;;) {
		faults_watch(f);
		left = deadline - harness_now_ms();
		if (left <= 0)
			return;
		harness_sleep_ms(left < 5 ? (int)left : 5);
	}
}

bool
faults_all_gone(const struct faults *f)
{
	int	 i;

	for (i = 0; i < f->n; i++)
		if (f->list[i].gone_ms == 0)
			return false;
	return true;
}

int64_t
faults_last_ms(const struct faults *f)
{
	return f->n > 0 ? f->list[f->n - 1].at_ms : 0;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t	 x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

void
stats_median_max(int64_t *v, int n, int64_t *median, int64_t *max)
{
	*median = *max = 0;
	if (n == 0)
		return;
	qsort(v, (size_t)n, sizeof(*v), cmp_i64);
	*median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	*max = v[n - 1];
}

void
faults_gone_stats(const struct faults *f, int64_t *median, int64_t *max)
{
	int64_t	 v[FAULTS_MAX];
	int	 i, n = 0;

	for (i = 0; i < f->n; i++)
		if (f->list[i].gone_ms != 0)
			v[n++] = f->list[i].gone_ms - f->list[i].at_ms;
	stats_median_max(v, n, median, max);
}

/*
 * The fault on the worker that served the client when e happened: on its
 * pid, not before INFO named it (pids are reused: pid_max may be 32768 on
 * a machine that forks a lot), not after e. INFO's reply may leave just
 * before a kill and be read just after it, hence the slack; no pid comes
 * round again within a second.
 */
static struct fault *
fault_on(struct faults *f, const struct load_error *e)
{
	int	 i;

	for (i = f->n - 1; i >= 0; i--) {
		struct fault *x = &f->list[i];

		if (x->pid == e->pid && x->at_ms <= e->at_ms &&
		    x->at_ms >= e->since_ms - PID_REUSE_MS)
			return x;
	}
	return NULL;
}

/* The latest fault in [at - window, at] that explains nothing yet. */
static struct fault *
fault_unused_before(struct faults *f, int64_t at, int window_ms)
{
	int	 i;

	for (i = f->n - 1; i >= 0; i--) {
		struct fault *x = &f->list[i];

		if (x->at_ms > at || x->errors > 0)
			continue;
		if (at - x->at_ms > window_ms)
			return NULL;
		return x;
	}
	return NULL;
}

static void
note_unexplained(struct attribution *a, const struct load_error *e,
    const char *why)
{
	size_t	 off = strlen(a->first_unexplained);

	a->unexplained++;
	if (off < sizeof(a->first_unexplained) - 128)
		snprintf(a->first_unexplained + off,
		    sizeof(a->first_unexplained) - off, "%s%s (%s) at +%lld "
		    "ms, worker %ld: %s", off > 0 ? "; " : "", e->text,
		    load_outcome_name(e->kind),
		    (long long)(e->at_ms - a->origin_ms), (long)e->pid, why);
}

void
faults_attribute(struct faults *f, const struct load_error *errs, int n,
    int window_ms, struct attribution *a)
{
	char	 why[160];
	int	 i;

	memset(a, 0, sizeof(*a));
	a->origin_ms = f->n > 0 ? f->list[0].at_ms : 0;
	for (i = 0; i < f->n; i++)
		f->list[i].errors = 0;
	/* Known pids first, so that INFO errors take only what is left. */
	for (i = 0; i < n; i++) {
		const struct load_error *e = &errs[i];
		struct fault *x;

		if (e->pid == 0)
			continue;
		x = fault_on(f, e);
		if (x == NULL) {
			snprintf(why, sizeof(why), "never signalled while it "
			    "served this client (%lld ms, from INFO to the "
			    "error)", (long long)(e->at_ms - e->since_ms));
			note_unexplained(a, e, why);
			continue;
		}
		if (e->at_ms - x->at_ms > window_ms) {
			snprintf(why, sizeof(why), "the error came %lld ms "
			    "after the fault on it, more than %d ms",
			    (long long)(e->at_ms - x->at_ms), window_ms);
			note_unexplained(a, e, why);
			continue;
		}
		x->errors++;
		a->by_pid++;
		if (e->at_ms - x->at_ms > a->max_delay_ms)
			a->max_delay_ms = e->at_ms - x->at_ms;
	}
	for (i = 0; i < n; i++) {
		const struct load_error *e = &errs[i];
		struct fault *x;

		if (e->pid != 0)
			continue;
		if ((x = fault_unused_before(f, e->at_ms, window_ms)) ==
		    NULL) {
			note_unexplained(a, e, "during INFO, no fault in the "
			    "window before it");
			continue;
		}
		x->errors++;
		a->during_info++;
		if (e->at_ms - x->at_ms > a->max_delay_ms)
			a->max_delay_ms = e->at_ms - x->at_ms;
	}
	for (i = 0; i < f->n; i++) {
		if (f->list[i].errors > a->max_per_fault)
			a->max_per_fault = f->list[i].errors;
		if (f->list[i].errors > 0)
			a->faults_with_errors++;
	}
}
