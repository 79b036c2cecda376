/*
 * harness: run the real forkline binary and talk to it, for the Check
 * integration suites in tests/integration and the chaos suite.
 *
 * This header is the umbrella a suite includes; each concern has its own:
 *   base.h    the temporary directory and its files, time and the limits
 *             the harness waits with (FORKLINE_TEST_SLOW), message text
 *   spawn.h   fork and exec the way servers are started
 *   server.h  start a server, wait until it serves, signal and stop it;
 *             run the binary to completion; listeners and ports
 *   logs.h    what a server wrote: its log, the master's lines, log files
 *   proc.h    processes from /proc: state, status fields, children, a
 *             server's workers
 *   client.h  one client at a time: connect, send, expect replies
 *   ini.h     keys of INI text (forkline -t)
 * and, included by the suites that need them: load.h (many clients in
 * request loops), detached.h (masters outside the test's process group),
 * json.h and prom.h (checkers of the admin endpoint's formats).
 */
#ifndef FORKLINE_HARNESS_H
#define FORKLINE_HARNESS_H

#include "tests/support/base.h"
#include "tests/support/client.h"
#include "tests/support/ini.h"
#include "tests/support/logs.h"
#include "tests/support/proc.h"
#include "tests/support/server.h"
#include "tests/support/spawn.h"

#endif
