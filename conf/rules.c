/*
 * rules: what spans keys, checked once the whole configuration is in.
 * Each key's own range is checked where it is set (keys.c); these are the
 * combinations that make no sense. See config.h.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/net.h"
#include "conf/config.h"
#include "conf/keys.h"

static int	 validate_listen(const struct conf *conf, char *err,
		    size_t errlen);
static int	 validate_workers(const struct conf *conf, char *err,
		    size_t errlen);
static int	 validate_faults(const struct conf *conf, char *err,
		    size_t errlen);

int
conf_validate(const struct conf *conf, char *err, size_t errlen)
{
	if (validate_listen(conf, err, errlen) == -1 ||
	    validate_workers(conf, err, errlen) == -1)
		return -1;
	return validate_faults(conf, err, errlen);
}

static int
validate_faults(const struct conf *conf, char *err, size_t errlen)
{
	char why[CONF_ERR_MAX];

	if (conf_faults_check(&conf->faults, why, sizeof(why)) == 0)
		return 0;
	conf_err(err, errlen, "[faults] %s", why);
	return -1;
}

/*
 * conf_set already refuses a listener given twice; this catches lists
 * built any other way, and compares the canonical forms so that
 * "*:7007" and "0.0.0.0:7007" are the same listener.
 */
static int
validate_listen(const struct conf *conf, char *err, size_t errlen)
{
	char canon[CONF_LISTEN_MAX][NET_ADDR_TEXT_MAX];
	char reason[CONF_ERR_MAX];
	struct net_addr addr;
	int i, j;

	if (conf->nlisten < 1) {
		conf_err(err, errlen, "[server] listen: no listen address "
		    "(give at least one)");
		return -1;
	}
	if (conf->nlisten > CONF_LISTEN_MAX) {
		conf_err(err, errlen, "[server] listen: too many listen "
		    "addresses (at most %d)", CONF_LISTEN_MAX);
		return -1;
	}
	for (i = 0; i < conf->nlisten; i++) {
		if (net_parse_addr(conf->listen[i], &addr, reason,
		    sizeof(reason)) == -1) {
			conf_err(err, errlen, "[server] listen: %s", reason);
			return -1;
		}
		memcpy(canon[i], addr.text, sizeof(canon[i]));
		for (j = 0; j < i; j++) {
			if (strcmp(canon[i], canon[j]) == 0) {
				conf_err(err, errlen, "[server] listen: '%s' "
				    "is given twice", canon[i]);
				return -1;
			}
		}
	}
	return 0;
}

/* Pool limits and timings that only make sense together. */
static int
validate_workers(const struct conf *conf, char *err, size_t errlen)
{
	if (conf->min_spare >= conf->max_spare) {
		conf_err(err, errlen, "[workers] min_spare (%d) must be less "
		    "than max_spare (%d)", conf->min_spare, conf->max_spare);
		return -1;
	}
	if (conf->pool_mode == CONF_POOL_DYNAMIC &&
	    conf->max_spare > conf->max_workers) {
		conf_err(err, errlen, "[workers] max_spare (%d) must not exceed "
		    "max (%d) in dynamic mode", conf->max_spare,
		    conf->max_workers);
		return -1;
	}
	if (conf->min_ready > conf->workers) {
		conf_err(err, errlen, "[workers] min_ready (%d) must not exceed "
		    "start (%d)", conf->min_ready, conf->workers);
		return -1;
	}
	if (conf->workers > conf->max_workers) {
		conf_err(err, errlen, "[workers] start (%d) must not exceed "
		    "max (%d)", conf->workers, conf->max_workers);
		return -1;
	}
	if (conf->worker_timeout_ms < 2 * conf->heartbeat_interval_ms) {
		conf_err(err, errlen, "[workers] worker_timeout (%lld ms) must "
		    "be at least twice heartbeat_interval (%lld ms)",
		    (long long)conf->worker_timeout_ms,
		    (long long)conf->heartbeat_interval_ms);
		return -1;
	}
	if (conf->restart_backoff_initial_ms > conf->restart_backoff_max_ms) {
		conf_err(err, errlen, "[workers] restart_backoff_initial "
		    "(%lld ms) must not exceed restart_backoff_max (%lld ms)",
		    (long long)conf->restart_backoff_initial_ms,
		    (long long)conf->restart_backoff_max_ms);
		return -1;
	}
	return 0;
}
