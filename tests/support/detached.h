/*
 * detached: masters that leave the harness. A daemon (forkline -d) starts
 * a session of its own; the new master of a binary upgrade (SIGUSR2) is
 * the old master's child and outlives the server the harness watches.
 * Check does not kill them with a failed test's process group, and the
 * harness's atexit handler does not know them.
 *
 * So each of them holds a locked pid file under the harness directory, and
 * is registered as soon as the test knows its pid; a suite that starts
 * them runs detached_sweep after each test case (an unchecked teardown),
 * which kills whoever still holds one or is still registered: a failing
 * test cannot leave a master behind.
 */
#ifndef FORKLINE_TEST_DETACHED_H
#define FORKLINE_TEST_DETACHED_H

#include <sys/types.h>

/* Note pid (and its start time, so that a reused pid is not taken for it)
 * in the harness directory, for detached_sweep. */
void	 detached_register(pid_t pid);
/*
 * SIGKILL every master that holds a locked "*.pid" file under the
 * harness directory, and every registered one still alive; forget the
 * registered ones. As a Check fixture: tcase_add_unchecked_fixture(tc,
 * NULL, detached_sweep).
 */
void	 detached_sweep(void);
/* The pid in a pid file, 0 if absent or unreadable. */
pid_t	 pidfile_pid(const char *path);

#endif
