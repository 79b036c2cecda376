/*
 * stats: see stats.h.
 */
#include "common/escape.h"
#include "common/proc.h"
#include "worker/stats.h"

void
stats_note_latency(struct worker_stats *st, int64_t us)
{
	int i;

	if (us < 0)
		us = 0;
	for (i = 0; i < HEALTH_LATENCY_BUCKETS - 1; i++)
		if ((uint64_t)us <= health_latency_bounds_us[i])
			break;
	st->latency[i]++;
	st->latency_sum_us += (uint64_t)us;
}

/* Escaped (common/escape.h): the hang report quotes it in a log line. */
void
stats_note_request(struct worker_stats *st, const char *line, size_t len)
{
	esc_text(st->request, sizeof(st->request), line, len);
	st->request_started_ms = now_ms();
}
