/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Resource names.  EnvoyPatchPolicy and extension hooks address resources by
 * these names, so they are API; every naming decision, including the
 * XDSNameSchemeV2 variant, is made here and nowhere else.
 */
#include <string.h>

#include "names.h"

static int64_t ext_port(const egw_node *l)
{
	int64_t p = GI(l, "externalPort", 0);
	return p ? p : GI(l, "port", 0);
}

int64_t name_stat_port(xt *x, const egw_node *l)
{
	return x->name_v2 ? ext_port(l) : GI(l, "port", 0);
}

const char *name_listener(xt *x, const egw_node *l, bool udp, bool quic)
{
	if (x->name_v2)
		return egw_sprintf(x->a, "%s-%lld", udp || quic ? "udp" : "tcp", (long long)ext_port(l));
	const char *n = GS(l, "name");
	if (!n)
		n = "";
	return quic ? egw_sprintf(x->a, "%s-quic", n) : n;
}

const char *name_route_config(xt *x, const egw_node *hl)
{
	if (x->name_v2 && !G(hl, "tls"))
		return egw_sprintf(x->a, "http-%lld", (long long)ext_port(hl));
	const char *n = GS(hl, "name");
	return n ? n : "";
}

static const char *underscored(xt *x, const char *s)
{
	char *o = egw_strdup(x->a, s ? s : "");
	for (char *p = o; *p; p++)
		if (*p == '.')
			*p = '_';
	return o;
}

const char *name_vhost(xt *x, const char *listener, const char *host)
{
	if (x->name_v2)
		return underscored(x, host);
	return egw_sprintf(x->a, "%s/%s", listener, underscored(x, host));
}

const char *name_vhost_stat(xt *x, const char *host)
{
	return underscored(x, host);
}

const char *name_tls_match(xt *x, const char *cluster, int i)
{
	return egw_sprintf(x->a, "%s/tls/%d", cluster, i);
}

const char *name_locality(xt *x, const char *cluster, int i)
{
	return egw_sprintf(x->a, "%s/backend/%d", cluster, i);
}

const char *name_ready_listener(xt *x, const char *addr, int64_t port)
{
	return egw_sprintf(x->a, "envoy-gateway-proxy-ready-%s-%lld", addr, (long long)port);
}
