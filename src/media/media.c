/*
 * media: one call's media session; see media.h.  Today a port pair and
 * the parameters last negotiated: the room RTP moves into.
 */
#include <errno.h>
#include <stdlib.h>

#include "media/media.h"

struct media {
	struct rtpport_pool *pool; /* where pair goes back */
	struct rtpport_pair pair;  /* our RTP/RTCP sockets */
	struct net_addr local;	   /* our address, with pair.port */
	bool have;		   /* params holds an active negotiation */
	struct media_params params;
};

int media_new(struct media **mp, struct rtpport_pool *pool, const struct net_addr *local)
{
	struct media *m;
	int err;

	if (!mp || !pool || !local)
		return -EINVAL;
	if (!(m = calloc(1, sizeof(*m))))
		return -ENOMEM;
	if ((err = rtpport_get(pool, local, &m->pair)) < 0) {
		free(m);
		return err;
	}
	m->pool = pool;
	m->local = *local;
	net_addr_set_port(&m->local, m->pair.port);
	*mp = m;
	return 0;
}

void media_free(struct media *m)
{
	if (!m)
		return;
	rtpport_put(m->pool, &m->pair);
	free(m);
}

static bool params_ok(const struct media_params *p)
{
	return p->codec && p->codec->kind == CODEC_AUDIO && p->pt >= 0 && p->pt <= 127 &&
	       p->te_pt >= -1 && p->te_pt <= 127 && p->remote.len > 0 && p->ptime > 0 &&
	       p->dir >= MEDIA_SENDRECV && p->dir <= MEDIA_INACTIVE;
}

int media_update(struct media *m, const struct media_params *p)
{
	if (!m || !p)
		return -EINVAL;
	if (!p->active) {
		m->have = false;
		return 0;
	}
	if (!params_ok(p))
		return -EINVAL;
	m->params = *p;
	m->have = true;
	return 0;
}

uint16_t media_port(const struct media *m)
{
	return m ? m->pair.port : 0;
}

void media_local(const struct media *m, struct net_addr *out)
{
	*out = m->local;
}

const struct media_params *media_current(const struct media *m)
{
	return m && m->have ? &m->params : NULL;
}

const char *media_codec(const struct media *m)
{
	return m && m->have ? m->params.codec->name : NULL;
}
