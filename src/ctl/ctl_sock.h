/*
 * ctl_sock: the control socket's file and its peers' credentials.
 *
 * Owns nothing past a call: it makes the listening socket file (a stale
 * one replaced, a live daemon's or a non-socket left alone, mode 0660,
 * then owner and group), removes it only while it is still the one made,
 * and decides from SO_PEERCRED / SO_PEERGROUPS who may connect.  The
 * connections themselves belong to ctl.
 */
#ifndef SIPUAD_CTL_SOCK_H
#define SIPUAD_CTL_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/* The file we bound, so that we remove it only while it is still ours. */
struct ctl_sock_file {
	bool made;
	dev_t dev;
	ino_t ino;
};

/*
 * Listen on path (*fdp: non-blocking, close-on-exec).  The file gets mode
 * 0660, then chown(owner, group) unless both are -1.  -EADDRINUSE when a
 * live daemon answers there, -EEXIST when the path is not a socket,
 * -ENAMETOOLONG over sun_path, -errno otherwise; the cause is logged with
 * the path.  f->made once the file exists, also on a later failure (the
 * caller closes *fdp and calls ctl_sock_unlink).
 */
int ctl_sock_listen(const char *path, uid_t owner, gid_t group, int *fdp,
    struct ctl_sock_file *f);
/* Remove path if it is still the file f names. */
void ctl_sock_unlink(const char *path, const struct ctl_sock_file *f);

/* fd's peer: 0, or -errno (cr then holds uid and gid -1). */
int ctl_sock_peer(int fd, struct ucred *cr);
/* May this peer use the socket: uid 0, our euid, or a member of group. */
bool ctl_sock_allowed(int fd, const struct ucred *cr, gid_t group);
/* "root, uid 1000, group sipuad": who may, for the not_allowed message. */
void ctl_sock_allowed_text(gid_t group, char *buf, size_t len);

#endif
