/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OverlappingTLSConfig: HTTPS listeners on one port (of a Gateway, or of
 * all merged Gateways) whose hostnames, or whose certificates' DNS SANs,
 * overlap.  Certificates are read just far enough to find the SAN
 * extension's dNSName entries.
 */
#include <string.h>

#include "internal.h"

/* DER length at p (within end); returns the header size consumed or 0. */
static size_t der_len(const unsigned char *p, const unsigned char *end, size_t *len)
{
	if (p >= end)
		return 0;
	if (!(p[0] & 0x80)) {
		*len = p[0];
		return 1;
	}
	size_t n = p[0] & 0x7f;
	if (n == 0 || n > 4 || p + 1 + n > end)
		return 0;
	size_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[1 + i];
	*len = v;
	return 1 + n;
}

/* Appends the certificate's DNS SANs to out (ARR of strings). */
static void cert_dns_names(ir_tr *t, const char *pem_b64, egw_node *out)
{
	size_t n;
	char *pem = ir_b64_decode(t, pem_b64, &n);
	if (!pem)
		return;
	const char *b = strstr(pem, "-----BEGIN CERTIFICATE-----");
	if (!b)
		return;
	b += strlen("-----BEGIN CERTIFICATE-----");
	const char *e = strstr(b, "-----END CERTIFICATE-----");
	if (!e)
		return;
	size_t dl;
	unsigned char *der = (unsigned char *)ir_b64_decode(t, egw_strndup(t->a, b, (size_t)(e - b)), &dl);
	if (!der)
		return;
	const unsigned char *end = der + dl;
	static const unsigned char oid[] = { 0x06, 0x03, 0x55, 0x1d, 0x11 };
	for (const unsigned char *p = der; p + sizeof oid < end; p++) {
		if (memcmp(p, oid, sizeof oid))
			continue;
		p += sizeof oid;
		if (p + 3 <= end && p[0] == 0x01 && p[1] == 0x01)
			p += 3; /* critical flag */
		if (p >= end || p[0] != 0x04)
			return;
		size_t ol, h = der_len(p + 1, end, &ol);
		if (!h)
			return;
		p += 1 + h;
		if (p >= end || p[0] != 0x30)
			return;
		size_t sl, h2 = der_len(p + 1, end, &sl);
		if (!h2)
			return;
		const unsigned char *q = p + 1 + h2, *qe = q + sl;
		if (qe > end)
			return;
		while (q < qe) {
			unsigned char tag = q[0];
			size_t el, h3 = der_len(q + 1, qe, &el);
			if (!h3 || q + 1 + h3 + el > qe)
				return;
			if (tag == 0x82)
				egw_arr_push(t->a, out, egw_strn(t->a, (const char *)q + 1 + h3, el));
			q += 1 + h3 + el;
		}
		return;
	}
}

static bool is_wild(const char *h)
{
	return h && strlen(h) > 1 && h[0] == '*';
}

/* this matches other: equal, or other is "*.x" and this is one label under x */
static bool matches_other(const char *a, const char *b)
{
	if (is_wild(b) && !is_wild(a)) {
		size_t al = strlen(a), sl = strlen(b + 1);
		if (al < sl || strcmp(a + al - sl, b + 1))
			return false;
		return memchr(a, '.', al - sl) == NULL;
	}
	return !strcmp(a, b);
}

static bool overlapping(const char *a, const char *b)
{
	if (!a || !b)
		return true;
	return matches_other(a, b) || matches_other(b, a);
}

typedef struct ov {
	ir_lis *other;
	const char *mine, *theirs;
} ov;

static void report(ir_tr *t, ir_lis **v, size_t n, ov *o, bool certs)
{
	for (size_t i = 0; i < n; i++) {
		if (!o[i].other)
			continue;
		ir_lis *l = v[i], *x = o[i].other;
		bool same = l->gw == x->gw;
		const char *what = certs ? "certificate SAN" : "hostname";
		const char *msg = egw_sprintf(t->a, "The %s %s overlaps with the %s %s in listener %s%s%s.%s", what,
					      o[i].mine ? o[i].mine : "", what, o[i].theirs ? o[i].theirs : "", x->name,
					      same ? "" : " of gateway ", same ? "" : x->gw->name,
					      certs ? " ALPN will default to HTTP/1.1 to prevent HTTP/2 connection coalescing, unless explicitly configured via ClientTrafficPolicy"
						    : "");
		ir_cond(t, l->conds, "OverlappingTLSConfig", true,
			certs ? "OverlappingCertificates" : "OverlappingHostnames", msg);
		if (certs && l->xl)
			egw_set_bool(t->a, l->xl, "tlsOverlaps", true);
	}
}

static void check(ir_tr *t, ir_lis **v, size_t n)
{
	if (n < 2)
		return;
	ov *o = EGW_NEWN(t->a, ov, n);
	for (size_t i = 0; i < n; i++) {
		if (o[i].other)
			continue;
		for (size_t j = i + 1; j < n; j++) {
			if (o[j].other || v[i]->port != v[j]->port)
				continue;
			if (overlapping(v[i]->hostname, v[j]->hostname)) {
				o[i] = (ov){ v[j], v[i]->hostname, v[j]->hostname };
				o[j] = (ov){ v[i], v[j]->hostname, v[i]->hostname };
				break;
			}
		}
	}
	report(t, v, n, o, false);
	egw_node **sans = EGW_NEWN(t->a, egw_node *, n);
	for (size_t i = 0; i < n; i++) {
		sans[i] = egw_arr(t->a);
		egw_node *c;
		EGW_ARR_EACH(v[i]->tls, k, c)
		cert_dns_names(t, egw_get_str(c, "certificate", ""), sans[i]);
	}
	memset(o, 0, n * sizeof *o);
	for (size_t i = 0; i < n; i++) {
		if (o[i].other)
			continue;
		for (size_t j = i + 1; j < n && !o[i].other; j++) {
			if (o[j].other || v[i]->port != v[j]->port)
				continue;
			egw_node *a, *b;
			EGW_ARR_EACH(sans[i], x, a)
			{
				EGW_ARR_EACH(sans[j], y, b)
				{
					if (!o[i].other && overlapping(egw_text(a), egw_text(b))) {
						o[i] = (ov){ v[j], egw_text(a), egw_text(b) };
						o[j] = (ov){ v[i], egw_text(b), egw_text(a) };
					}
				}
			}
		}
	}
	report(t, v, n, o, true);
}

void ir_overlapping_tls(ir_tr *t)
{
	size_t total = 0;
	for (size_t gi = 0; gi < t->ngw; gi++)
		total += t->gws[gi]->nls;
	ir_lis **v = EGW_NEWN(t->a, ir_lis *, total + 1);
	size_t n = 0;
	for (size_t gi = 0; gi < t->ngw; gi++) {
		ir_gw *g = t->gws[gi];
		if (!g->accepted)
			continue;
		if (!t->merge_gateways)
			n = 0;
		for (size_t i = 0; i < g->nls; i++)
			if (g->ls[i]->ready && !strcmp(g->ls[i]->proto, "HTTPS"))
				v[n++] = g->ls[i];
		if (!t->merge_gateways)
			check(t, v, n);
	}
	if (t->merge_gateways)
		check(t, v, n);
}
