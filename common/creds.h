/*
 * creds: who the workers run as. Resolved once by the master at start
 * (so an unknown user is a configuration error, not a worker crash
 * loop), applied by each worker right after fork, before it serves.
 */
#ifndef FORKLINE_CREDS_H
#define FORKLINE_CREDS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CREDS_DEFAULT_USER	"nobody"
#define CREDS_NAME_MAX		64	/* a user name, with its NUL */

struct creds {
	bool	 switch_user;	/* started as root with a user to become */
	char	 user[CREDS_NAME_MAX];
	uid_t	 uid;
	gid_t	 gid;
};

/*
 * From [server] user, group and allow_root ("" for a user or group not
 * given). Started as root: workers become user, or "nobody" when none is
 * given, unless allow_root; started as someone else: user, if set, must
 * be that someone. Returns 0, or -1 with the reason in err.
 */
int	 creds_resolve(const char *user, const char *group, bool allow_root,
	    struct creds *out, char *err, size_t errlen);

/*
 * Become the user: supplementary groups, gid, uid, then prove that root
 * cannot be regained. Also sets PR_SET_NO_NEW_PRIVS. 0, or -1 with err.
 */
int	 creds_apply(const struct creds *c, char *err, size_t errlen);

#endif
