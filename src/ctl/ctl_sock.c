/*
 * ctl_sock: the control socket's file and its peers' credentials.
 *
 * The file: a socket left by a crashed daemon (connect() is refused) is
 * replaced; one a live daemon accepts on is not, nor is anything that is
 * not a socket.  umask is set around bind(2) since on Linux the mode of a
 * UNIX socket file comes from it, not from fchmod on the socket.  Removing
 * the file compares device and inode with what bind made, so a daemon
 * that lost its path to a newer one does not remove the newer one's.
 *
 * Peers: root, our effective uid, and members of the configured group
 * (by the peer's primary gid, its supplementary groups from SO_PEERGROUPS
 * on Linux >= 4.13, else its passwd entry's groups via getgrouplist).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/log.h"
#include "ctl/ctl_sock.h"

/*
 * A burst of clients (a monitoring round, clients retrying after their
 * connect timeout) waits here while the loop is busy: a UNIX socket with
 * a full backlog refuses a non-blocking connect with EAGAIN at once.
 * The kernel caps it at net.core.somaxconn.
 */
#define CTL_SOCK_BACKLOG SOMAXCONN

/*
 * Make way for our socket: nothing at path, or a stale socket, which is
 * removed.  -EADDRINUSE: a daemon answers there; -EEXIST: not a socket.
 */
static int sock_clear(const char *path, const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, err = 0;

	if (lstat(path, &st) < 0) {
		err = errno;
		if (err == ENOENT)
			return 0;
		log_err("control socket %s: %s", path, strerror(err));
		return -err;
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_err("control socket %s exists and is not a socket; remove it or set "
			"[control] socket",
			path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = errno;
		log_err("control socket %s: socket: %s", path, strerror(err));
		return -err;
	}
	/* Non-blocking: a live daemon with a full backlog gives EAGAIN. */
	if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0 || errno == EAGAIN) {
		log_err("control socket %s is in use by a running sipuad; stop it or set "
			"[control] socket",
			path);
		err = -EADDRINUSE;
	} else if (errno != ECONNREFUSED) {
		err = -errno;
		log_err("control socket %s: connect: %s", path, strerror(-err));
	} else if (unlink(path) < 0 && errno != ENOENT) {
		err = -errno;
		log_err("control socket %s: removing the stale socket: %s", path, strerror(-err));
	} else {
		log_info("control socket %s: removed a stale socket", path);
	}
	close(fd);
	return err;
}

/* bind with mode 0660, then owner and group. */
static int sock_bind(const char *path, int fd, const struct sockaddr_un *sun, uid_t owner,
		     gid_t group, struct ctl_sock_file *f)
{
	struct stat st;
	mode_t old = umask(0117);
	int r = bind(fd, (const struct sockaddr *)sun, sizeof(*sun)), e = errno;

	umask(old);
	if (r < 0) {
		log_err("control socket %s: bind: %s%s", path, strerror(e),
			e == ENOENT ? " (its directory must exist)" : "");
		return -e;
	}
	if (lstat(path, &st) == 0) {
		f->made = true;
		f->dev = st.st_dev;
		f->ino = st.st_ino;
	}
	if ((owner != (uid_t)-1 || group != (gid_t)-1) && chown(path, owner, group) < 0) {
		e = errno;
		log_err("control socket %s: chown to %d:%d: %s", path, (int)owner, (int)group,
			strerror(e));
		return -e;
	}
	return 0;
}

int ctl_sock_listen(const char *path, uid_t owner, gid_t group, int *fdp, struct ctl_sock_file *f)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t n = strlen(path);
	int err;

	if (n >= sizeof(sun.sun_path)) {
		log_err("control socket %s: path longer than %zu bytes", path,
			sizeof(sun.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sun.sun_path, path, n + 1);
	err = sock_clear(path, &sun);
	if (err)
		return err;
	*fdp = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (*fdp < 0) {
		err = -errno;
		log_err("control socket %s: socket: %s", path, strerror(-err));
		return err;
	}
	err = sock_bind(path, *fdp, &sun, owner, group, f);
	if (err)
		return err;
	if (listen(*fdp, CTL_SOCK_BACKLOG) < 0) {
		err = -errno;
		log_err("control socket %s: listen: %s", path, strerror(-err));
	}
	return err;
}

void ctl_sock_unlink(const char *path, const struct ctl_sock_file *f)
{
	struct stat st;

	if (f->made && lstat(path, &st) == 0 && st.st_dev == f->dev && st.st_ino == f->ino)
		unlink(path);
}

int ctl_sock_peer(int fd, struct ucred *cr)
{
	socklen_t len = sizeof(*cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cr, &len) == 0)
		return 0;
	cr->pid = 0;
	cr->uid = (uid_t)-1;
	cr->gid = (gid_t)-1;
	return -errno;
}

/* gid among the peer's groups (SO_PEERGROUPS): 1 yes, 0 no, -ENOTSUP. */
static int peer_groups_have(int fd, gid_t gid)
{
#ifdef SO_PEERGROUPS
	gid_t small[64], *g = small;
	socklen_t len = sizeof(small);
	int r = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) < 0) {
		if (errno != ERANGE)
			return -ENOTSUP;
		g = malloc(len); /* len is now the size needed */
		if (!g || getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) < 0) {
			free(g);
			return -ENOTSUP;
		}
	}
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (g[i] == gid)
			r = 1;
	if (g != small)
		free(g);
	return r;
#else
	return -ENOTSUP;
#endif
}

/* gid among the groups of uid's passwd entry (a blocking NSS lookup). */
static bool user_groups_have(uid_t uid, gid_t gid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	gid_t *g = NULL;
	int n = 64;
	bool found = false;

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) != 0 || !res)
		return false;
	/* A second try with the size the first one reported. */
	for (int tries = 0; tries < 2; tries++) {
		gid_t *t = realloc(g, (size_t)n * sizeof(*g));

		if (!t)
			break;
		g = t;
		if (getgrouplist(pw.pw_name, pw.pw_gid, g, &n) < 0)
			continue;
		for (int i = 0; i < n; i++)
			found |= g[i] == gid;
		break;
	}
	free(g);
	return found;
}

bool ctl_sock_allowed(int fd, const struct ucred *cr, gid_t group)
{
	int r;

	if (cr->uid == (uid_t)-1)
		return false;
	if (cr->uid == 0 || cr->uid == geteuid() || cr->gid == group)
		return true;
	r = peer_groups_have(fd, group);
	return r >= 0 ? r == 1 : user_groups_have(cr->uid, group);
}

void ctl_sock_allowed_text(gid_t group, char *buf, size_t len)
{
	struct group gr, *res = NULL;
	char grbuf[4096];

	if (getgrgid_r(group, &gr, grbuf, sizeof(grbuf), &res) == 0 && res)
		snprintf(buf, len, "root, uid %d, group %s", (int)geteuid(), gr.gr_name);
	else
		snprintf(buf, len, "root, uid %d, gid %d", (int)geteuid(), (int)group);
}
