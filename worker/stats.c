/*
 * stats: see stats.h.
 */
#include <string.h>

#include "common/escape.h"
#include "common/hot.h"
#include "worker/stats.h"

static void	 count_into(uint64_t *, uint64_t *, int64_t);

static HOT void
count_into(uint64_t *buckets, uint64_t *sum, int64_t us)
{
	int i;

	if (us < 0)
		us = 0;
	for (i = 0; i < HEALTH_LATENCY_BUCKETS - 1; i++)
		if ((uint64_t)us <= health_latency_bounds_us[i])
			break;
	buckets[i]++;
	*sum += (uint64_t)us;
}

HOT void
stats_note_latency(struct worker_stats *st, int64_t us)
{
	count_into(st->latency, &st->latency_sum_us, us);
}

void
stats_note_handoff(struct worker_stats *st, int64_t us)
{
	count_into(st->handoff_latency, &st->handoff_latency_sum_us, us);
}

HOT void
stats_note_request(struct worker_stats *st, const char *line, size_t len,
    int64_t started_ms)
{
	if (len > sizeof(st->request))
		len = sizeof(st->request);
	memcpy(st->request, line, len);
	st->request_len = len;
	st->request_started_ms = started_ms;
}

/* Escaped (common/escape.h): the hang report quotes it in a log line. */
const char *
stats_request_text(const struct worker_stats *st, char *buf, size_t len)
{
	esc_text(buf, len, st->request, st->request_len);
	return buf;
}
