/*
 * creds: see creds.h.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "common/creds.h"

int
creds_resolve(const char *user, const char *group, bool allow_root,
    struct creds *out, char *err, size_t errlen)
{
	struct passwd *pw = NULL;
	struct group *gr;
	const char *name = user;	/* the one to become */

	memset(out, 0, sizeof(*out));
	out->uid = (uid_t)-1;
	out->gid = (gid_t)-1;
	/* Like nginx: root without a user runs its workers as nobody. */
	if (name[0] == '\0' && geteuid() == 0 && !allow_root)
		name = CREDS_DEFAULT_USER;
	if (name[0] != '\0' && (pw = getpwnam(name)) == NULL) {
		snprintf(err, errlen, "[server] user: no such user '%s'%s",
		    name, user[0] == '\0' ? " (the default when started "
		    "as root; set [server] user)" : "");
		return -1;
	}
	if (geteuid() != 0) {
		if (pw != NULL && pw->pw_uid != geteuid()) {
			snprintf(err, errlen, "[server] user: cannot switch to "
			    "'%s' without running as root", user);
			return -1;
		}
		if (group[0] != '\0' && ((gr = getgrnam(group)) == NULL ||
		    gr->gr_gid != getegid())) {
			snprintf(err, errlen, "[server] group: cannot switch to "
			    "'%s' without running as root", group);
			return -1;
		}
		return 0;
	}
	if (pw == NULL)
		return 0;	/* allow_root, and no user given */
	out->switch_user = true;
	snprintf(out->user, sizeof(out->user), "%s", name);
	out->uid = pw->pw_uid;
	out->gid = pw->pw_gid;
	if (group[0] != '\0') {
		if ((gr = getgrnam(group)) == NULL) {
			snprintf(err, errlen, "[server] group: no such group "
			    "'%s'", group);
			return -1;
		}
		out->gid = gr->gr_gid;
	}
	if (out->uid == 0 && !allow_root) {
		snprintf(err, errlen, "[server] user '%s' is root; set "
		    "allow_root = yes if that is meant", name);
		return -1;
	}
	return 0;
}

int
creds_apply(const struct creds *c, char *err, size_t errlen)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		snprintf(err, errlen, "prctl(PR_SET_NO_NEW_PRIVS): %s",
		    strerror(errno));
		return -1;
	}
	if (!c->switch_user)
		return 0;
	if (initgroups(c->user, c->gid) == -1 || setgid(c->gid) == -1 ||
	    setuid(c->uid) == -1) {
		snprintf(err, errlen, "switching to user %s (uid %ld, gid %ld): "
		    "%s", c->user, (long)c->uid, (long)c->gid, strerror(errno));
		return -1;
	}
	if (c->uid != 0 && (setuid(0) != -1 || seteuid(0) != -1)) {
		snprintf(err, errlen, "root could be regained after switching "
		    "to user %s", c->user);
		return -1;
	}
	return 0;
}
