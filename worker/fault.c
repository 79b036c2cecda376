/*
 * fault: see fault.h.
 */
#include <math.h>
#include <stdint.h>

#include "conf/config.h"
#include "worker/fault.h"

static double	 unit_open(struct fault_rng *rng);
static bool	 hit(struct fault_rng *rng, int ppm);

/* splitmix64's finaliser: turns related inputs into unrelated states. */
static uint64_t
mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
fault_rng_seed(struct fault_rng *rng, uint32_t seed, int slot,
    unsigned start, uint64_t conn_no)
{
	uint64_t s = mix((uint64_t)seed + 0x9e3779b97f4a7c15ULL);

	s = mix(s ^ ((uint64_t)(uint32_t)slot << 32) ^ (uint64_t)start);
	s = mix(s ^ conn_no);
	rng->s = s != 0 ? s : 0x9e3779b97f4a7c15ULL;	/* never all zero */
}

uint64_t
fault_rng_next(struct fault_rng *rng)
{
	uint64_t x = rng->s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng->s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Uniform in (0, 1): never 0, never 1, so logarithms stay finite. */
static double
unit_open(struct fault_rng *rng)
{
	return ((double)(fault_rng_next(rng) >> 11) + 0.5) / 9007199254740992.0;
}

static bool
hit(struct fault_rng *rng, int ppm)
{
	if (ppm <= 0)
		return false;
	if (ppm >= CONF_PPM_ONE)
		return true;
	return fault_rng_next(rng) % CONF_PPM_ONE < (uint64_t)ppm;
}

enum fault_pick
fault_pick(const struct conf_faults *f, struct fault_rng *rng)
{
	if (hit(rng, f->crash_ppm))
		return FAULT_PICK_CRASH;
	if (hit(rng, f->reset_ppm))
		return FAULT_PICK_RESET;
	if (hit(rng, f->stall_ppm))
		return FAULT_PICK_STALL;
	if (hit(rng, f->close_ppm))
		return FAULT_PICK_CLOSE;
	if (hit(rng, f->error_ppm))
		return FAULT_PICK_ERROR;
	return FAULT_PICK_NONE;
}

/*
 * The table of docs/FAULTS.md, "Delays": for uniform and normal, latency
 * is the centre and jitter the spread; for exponential and pareto,
 * latency is the least delay and jitter the mean of what comes on top.
 */
int64_t
fault_delay_us(const struct conf_faults *f, struct fault_rng *rng)
{
	double lat = (double)f->latency_ms * 1000.0;
	double jit = (double)f->jitter_ms * 1000.0;
	double d, alpha;

	if (f->latency_ms == 0 && f->jitter_ms == 0)
		return 0;
	switch (f->distribution) {
	case CONF_DIST_FIXED:
		d = lat;
		break;
	case CONF_DIST_UNIFORM:
		d = lat + jit * (2.0 * unit_open(rng) - 1.0);
		break;
	case CONF_DIST_NORMAL:		/* Box-Muller, one of the pair */
		d = lat + jit * sqrt(-2.0 * log(unit_open(rng))) *
		    cos(6.283185307179586 * unit_open(rng));
		break;
	case CONF_DIST_EXPONENTIAL:
		d = lat - jit * log(unit_open(rng));
		break;
	case CONF_DIST_PARETO:
		alpha = 1.0 + lat / jit;
		d = lat / pow(unit_open(rng), 1.0 / alpha);
		break;
	default:
		d = lat;
		break;
	}
	if (!(d > 0.0))
		return 0;
	return d > 3600e6 ? (int64_t)3600e6 : (int64_t)d;	/* at most 1 h */
}
