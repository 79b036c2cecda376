/*
 * log_level: how much is logged. Apart from log.h so that a configuration
 * can hold a level without declaring the logger to all who include it.
 */
#ifndef FORKLINE_LOG_LEVEL_H
#define FORKLINE_LOG_LEVEL_H

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

#endif
