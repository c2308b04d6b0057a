/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What Envoy Gateway checks on TLS Secrets before handing them to Envoy,
 * done without a crypto library: PEM blocks are split and their base64
 * decoded, certificates are walked as DER far enough to read their shape,
 * validity window, subject common name and public key, and a private key is
 * matched to the certificate by comparing the public parts both carry (the
 * RSA modulus and exponent, the EC point).  Signatures are not verified:
 * Envoy Gateway does not verify them either.
 *
 * The clock is the host's (egw_options.now_unix), never the machine's; with
 * none, validity windows are not checked.
 */
#include "internal.h"
#include "../util/civil.h"

#include <stdio.h>
#include <string.h>

/* ---- PEM ---- */

typedef struct {
	const char *type; /* NUL-terminated, in the arena */
	const uint8_t *der;
	size_t len;
} pem_block;

static const char *find_line_start(const char *p, const char *end, const char *pat)
{
	size_t pl = strlen(pat);
	for (const char *s = p; s + pl <= end; s++) {
		if ((s == p || s[-1] == '\n') && !memcmp(s, pat, pl))
			return s;
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			break;
		s = nl; /* loop's s++ moves past the newline */
	}
	return NULL;
}

/* The next well-formed block at or after *p (malformed ones are skipped, as
 * Go's pem.Decode skips them); false when there is none. */
static bool pem_next(ir_tr *t, const char **p, const char *end, pem_block *b)
{
	static const char begin[] = "-----BEGIN ";
	const char *s = *p;
	while ((s = find_line_start(s, end, begin))) {
		const char *ty = s + sizeof begin - 1;
		const char *nl = memchr(ty, '\n', (size_t)(end - ty));
		const char *line_end = nl ? nl : end;
		if (line_end > ty && line_end[-1] == '\r')
			line_end--;
		if (line_end - ty < 5 || memcmp(line_end - 5, "-----", 5)) {
			s = ty;
			continue;
		}
		size_t tl = (size_t)(line_end - 5 - ty);
		char *type = egw_strndup(t->a, ty, tl);
		char *endpat = egw_sprintf(t->a, "-----END %s-----", type);
		const char *body = nl ? nl + 1 : end;
		const char *e = find_line_start(body, end, endpat);
		if (!e) {
			s = ty;
			continue;
		}
		/* skip RFC 1421 headers ("Name: value" lines up to a blank line) */
		const char *q = body;
		const char *first_nl = memchr(q, '\n', (size_t)(e - q));
		if (first_nl && memchr(q, ':', (size_t)(first_nl - q))) {
			const char *blank = strstr(q, "\n\n");
			if (blank && blank < e)
				q = blank + 2;
		}
		char *b64 = egw_strndup(t->a, q, (size_t)(e - q));
		for (char *c = b64; *c; c++)
			if (*c == '\t' || *c == '\r')
				*c = ' ';
		size_t n;
		char *der = ir_b64_decode(t, b64, &n);
		const char *after = e + strlen(endpat);
		if (!der) {
			s = ty;
			continue;
		}
		b->type = type;
		b->der = (const uint8_t *)der;
		b->len = n;
		*p = after;
		return true;
	}
	*p = end;
	return false;
}

/* ---- DER ---- */

typedef struct {
	const uint8_t *p;
	size_t n;
} der;

enum {
	T_INTEGER = 0x02,
	T_BITSTRING = 0x03,
	T_OCTETS = 0x04,
	T_OID = 0x06,
	T_UTCTIME = 0x17,
	T_GENTIME = 0x18,
	T_SEQ = 0x30,
	T_SET = 0x31,
};

/* Reads one element of the given tag (any tag when tag < 0) from *in:
 * its contents in *out, its tag in *got. */
static bool der_read_tag(der *in, int tag, der *out, uint8_t *got)
{
	if (in->n < 2)
		return false;
	uint8_t tg = in->p[0];
	if ((tg & 0x1f) == 0x1f) /* high tag numbers: not used by what we read */
		return false;
	if (tag >= 0 && tg != (uint8_t)tag)
		return false;
	size_t len = in->p[1], hdr = 2;
	if (len & 0x80) {
		size_t nb = len & 0x7f;
		if (nb == 0 || nb > 4 || in->n < 2 + nb)
			return false;
		len = 0;
		for (size_t i = 0; i < nb; i++)
			len = (len << 8) | in->p[2 + i];
		hdr += nb;
	}
	if (len > in->n - hdr)
		return false;
	out->p = in->p + hdr;
	out->n = len;
	if (got)
		*got = tg;
	in->p += hdr + len;
	in->n -= hdr + len;
	return true;
}

static bool der_read(der *in, int tag, der *out)
{
	return der_read_tag(in, tag, out, NULL);
}

static bool der_peek(const der *in, uint8_t tag)
{
	return in->n > 0 && in->p[0] == tag;
}

static bool der_eq(der a, const uint8_t *b, size_t n)
{
	return a.n == n && !memcmp(a.p, b, n);
}

/* INTEGER contents without leading zero bytes, for comparing magnitudes. */
static der der_uint(der v)
{
	while (v.n > 1 && v.p[0] == 0) {
		v.p++;
		v.n--;
	}
	return v;
}

static bool der_same_uint(der a, der b)
{
	a = der_uint(a);
	b = der_uint(b);
	return a.n == b.n && !memcmp(a.p, b.p, a.n);
}

static const uint8_t OID_RSA[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01 };
static const uint8_t OID_EC[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 };
static const uint8_t OID_ED25519[] = { 0x2b, 0x65, 0x70 };
static const uint8_t OID_CN[] = { 0x55, 0x04, 0x03 };

typedef enum { KEY_OTHER, KEY_RSA, KEY_EC, KEY_ED25519 } key_alg;

typedef struct {
	int64_t not_before, not_after;
	const char *cn; /* "" when the subject has none */
	key_alg alg;
	der rsa_n, rsa_e; /* KEY_RSA */
	der point;        /* KEY_EC, KEY_ED25519: the public key bytes */
} cert_info;

/* UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ. */
static bool der_time(der *in, int64_t *out)
{
	der v;
	uint8_t tag;
	if (!der_read_tag(in, -1, &v, &tag))
		return false;
	unsigned y, mo, d, h, mi, s;
	const uint8_t *p = v.p;
	if (tag == T_UTCTIME && v.n == 13) {
		if (!egw_digits((const char *)p, 2, &y))
			return false;
		y += y < 50 ? 2000 : 1900;
		p += 2;
	} else if (tag == T_GENTIME && v.n == 15) {
		if (!egw_digits((const char *)p, 4, &y))
			return false;
		p += 4;
	} else {
		return false;
	}
	const char *c = (const char *)p;
	if (!egw_digits(c, 2, &mo) || !egw_digits(c + 2, 2, &d) || !egw_digits(c + 4, 2, &h) ||
	    !egw_digits(c + 6, 2, &mi) || !egw_digits(c + 8, 2, &s) || p[10] != 'Z')
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59)
		return false;
	*out = egw_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
	return true;
}

/* Go's time.Time %v in UTC: "2020-01-01 15:00:01 +0000 UTC". */
static const char *fmt_time(ir_tr *t, int64_t u)
{
	int64_t days = u / 86400, rem = u % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	int64_t y;
	unsigned m, d;
	egw_civil_from_days(days, &y, &m, &d);
	return egw_sprintf(t->a, "%04lld-%02u-%02u %02u:%02u:%02u +0000 UTC", (long long)y, m, d,
			   (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60), (unsigned)(rem % 60));
}

/* The last common name in a Name (Go keeps the last one it meets). */
static const char *name_cn(ir_tr *t, der name)
{
	const char *cn = "";
	der rdn;
	while (der_read(&name, T_SET, &rdn)) {
		der atv;
		while (der_read(&rdn, T_SEQ, &atv)) {
			der oid, val;
			uint8_t tag;
			if (!der_read(&atv, T_OID, &oid) || !der_read_tag(&atv, -1, &val, &tag))
				continue;
			if (der_eq(oid, OID_CN, sizeof OID_CN))
				cn = egw_strndup(t->a, (const char *)val.p, val.n);
		}
	}
	return cn;
}

/* SubjectPublicKeyInfo: the algorithm and the public parts. */
static bool read_spki(der spki, cert_info *ci)
{
	der alg, oid, bits;
	if (!der_read(&spki, T_SEQ, &alg) || !der_read(&alg, T_OID, &oid) ||
	    !der_read(&spki, T_BITSTRING, &bits) || bits.n < 1)
		return false;
	bits.p++; /* unused-bits byte */
	bits.n--;
	ci->alg = KEY_OTHER;
	if (der_eq(oid, OID_RSA, sizeof OID_RSA)) {
		der seq;
		if (!der_read(&bits, T_SEQ, &seq) || !der_read(&seq, T_INTEGER, &ci->rsa_n) ||
		    !der_read(&seq, T_INTEGER, &ci->rsa_e))
			return false;
		ci->alg = KEY_RSA;
	} else if (der_eq(oid, OID_EC, sizeof OID_EC)) {
		ci->alg = KEY_EC;
		ci->point = bits;
	} else if (der_eq(oid, OID_ED25519, sizeof OID_ED25519)) {
		ci->alg = KEY_ED25519;
		ci->point = bits;
	}
	return true;
}

/* Parses one certificate from *in the way Go's x509.ParseCertificate does,
 * as far as we need; returns NULL or Go's error text. */
static const char *parse_cert(ir_tr *t, der *in, cert_info *ci)
{
	der cert, tbs, v, name;
	if (!der_read(in, T_SEQ, &cert))
		return "x509: malformed certificate";
	if (!der_read(&cert, T_SEQ, &tbs))
		return "x509: malformed tbs certificate";
	if (der_peek(&tbs, 0xa0) && !der_read(&tbs, 0xa0, &v))
		return "x509: malformed version";
	if (!der_read(&tbs, T_INTEGER, &v))
		return "x509: malformed serial number";
	if (!der_read(&tbs, T_SEQ, &v))
		return "x509: malformed signature algorithm identifier";
	if (!der_read(&tbs, T_SEQ, &v))
		return "x509: malformed issuer";
	der validity;
	if (!der_read(&tbs, T_SEQ, &validity))
		return "x509: malformed validity";
	if (!der_time(&validity, &ci->not_before) || !der_time(&validity, &ci->not_after))
		return "x509: malformed validity";
	if (!der_read(&tbs, T_SEQ, &name))
		return "x509: malformed subject";
	ci->cn = name_cn(t, name);
	der spki;
	if (!der_read(&tbs, T_SEQ, &spki) || !read_spki(spki, ci))
		return "x509: malformed spki";
	if (!der_read(&cert, T_SEQ, &v))
		return "x509: malformed signature algorithm identifier";
	if (!der_read(&cert, T_BITSTRING, &v))
		return "x509: malformed signature";
	return NULL;
}

/* Every certificate of a PEM block, each within its validity window. */
static const char *check_cert_block(ir_tr *t, const pem_block *b, cert_info *first)
{
	der in = { b->der, b->len };
	bool any = false;
	if (in.n == 0)
		return "x509: malformed certificate";
	while (in.n) {
		cert_info ci = { 0 };
		const char *err = parse_cert(t, &in, &ci);
		if (err)
			return err;
		int64_t now = t->c->now_unix; /* 0: the host gave no clock */
		if (now && now > ci.not_after)
			return egw_sprintf(t->a, "certificate %s has expired since %s", ci.cn,
					   fmt_time(t, ci.not_after));
		if (now && now < ci.not_before)
			return egw_sprintf(t->a, "certificate %s will be valid after %s", ci.cn,
					   fmt_time(t, ci.not_before));
		if (!any && first)
			*first = ci;
		any = true;
	}
	return NULL;
}

/* ---- private keys ---- */

typedef struct {
	key_alg alg;
	der rsa_n, rsa_e;
	der point; /* EC: the public point when the key carries it (else n == 0) */
} key_info;

static bool parse_pkcs1(der in, key_info *k)
{
	der seq, ver;
	if (!der_read(&in, T_SEQ, &seq) || !der_read(&seq, T_INTEGER, &ver) ||
	    !der_read(&seq, T_INTEGER, &k->rsa_n) || !der_read(&seq, T_INTEGER, &k->rsa_e))
		return false;
	k->alg = KEY_RSA;
	return true;
}

static bool parse_sec1(der in, key_info *k)
{
	der seq, ver, priv, v;
	if (!der_read(&in, T_SEQ, &seq) || !der_read(&seq, T_INTEGER, &ver) ||
	    !der_read(&seq, T_OCTETS, &priv))
		return false;
	k->alg = KEY_EC;
	if (der_peek(&seq, 0xa0) && !der_read(&seq, 0xa0, &v))
		return false;
	if (der_peek(&seq, 0xa1)) {
		der bits;
		if (!der_read(&seq, 0xa1, &v) || !der_read(&v, T_BITSTRING, &bits) || bits.n < 1)
			return false;
		k->point.p = bits.p + 1;
		k->point.n = bits.n - 1;
	}
	return true;
}

static bool parse_pkcs8(der in, key_info *k)
{
	der seq, ver, alg, oid, inner;
	if (!der_read(&in, T_SEQ, &seq) || !der_read(&seq, T_INTEGER, &ver) ||
	    !der_read(&seq, T_SEQ, &alg) || !der_read(&alg, T_OID, &oid) ||
	    !der_read(&seq, T_OCTETS, &inner))
		return false;
	if (der_eq(oid, OID_RSA, sizeof OID_RSA))
		return parse_pkcs1(inner, k);
	if (der_eq(oid, OID_EC, sizeof OID_EC))
		return parse_sec1(inner, k);
	if (der_eq(oid, OID_ED25519, sizeof OID_ED25519)) {
		k->alg = KEY_ED25519;
		return true;
	}
	return false;
}

/* Go's tls.X509KeyPair verdict on a leaf and a key, as far as comparing
 * public parts can tell (an EC key without its public point, or an Ed25519
 * seed, would need the curve arithmetic: those are accepted). */
static const char *key_pair_error(const cert_info *c, const key_info *k)
{
	if (c->alg == KEY_OTHER)
		return "tls: unknown public key algorithm";
	if (c->alg != k->alg)
		return "tls: private key type does not match public key type";
	if (c->alg == KEY_RSA &&
	    (!der_same_uint(c->rsa_n, k->rsa_n) || !der_same_uint(c->rsa_e, k->rsa_e)))
		return "tls: private key does not match public key";
	if (c->alg == KEY_EC && k->point.n && !der_eq(c->point, k->point.p, k->point.n))
		return "tls: private key does not match public key";
	return NULL;
}

const char *ir_tls_secret_error(ir_tr *t, const char *ns, const char *name, const char *crt_b64,
				const char *key_b64)
{
	size_t n;
	const char *crt = ir_b64_decode(t, crt_b64, &n);
	if (!crt)
		return egw_sprintf(t->a, "%s/%s must contain valid tls.crt and tls.key, unable to "
					 "validate certificate in tls.crt: unable to decode pem data "
					 "for certificate", ns, name);
	const char *p = crt, *end = crt + n;
	pem_block b;
	cert_info leaf = { 0 };
	bool any = false;
	while (pem_next(t, &p, end, &b)) {
		const char *err = check_cert_block(t, &b, any ? NULL : &leaf);
		if (err)
			return egw_sprintf(t->a, "%s/%s must contain valid tls.crt and tls.key, unable "
						 "to validate certificate in tls.crt: %s", ns, name, err);
		any = true;
	}
	if (!any)
		return egw_sprintf(t->a, "%s/%s must contain valid tls.crt and tls.key, unable to "
					 "validate certificate in tls.crt: unable to decode pem data "
					 "for certificate", ns, name);

	const char *key = ir_b64_decode(t, key_b64, &n);
	p = key;
	if (!key || !pem_next(t, &p, key + n, &b))
		return egw_sprintf(t->a, "%s/%s must contain valid tls.crt and tls.key, unable to "
					 "decode pem data in tls.key", ns, name);
	key_info k = { 0 };
	der kd = { b.der, b.len };
	const char *fmt = NULL;
	bool ok;
	if (!strcmp(b.type, "PRIVATE KEY")) {
		ok = parse_pkcs8(kd, &k);
		fmt = "PKCS8";
	} else if (!strcmp(b.type, "RSA PRIVATE KEY")) {
		ok = parse_pkcs1(kd, &k);
		fmt = "PKCS1";
	} else if (!strcmp(b.type, "EC PRIVATE KEY")) {
		ok = parse_sec1(kd, &k);
		fmt = "EC";
	} else {
		return egw_sprintf(t->a, "%s/%s must contain valid tls.crt and tls.key, %s key format "
					 "found in tls.key, supported formats are PKCS1, PKCS8 or EC",
				   ns, name, b.type);
	}
	if (!ok)
		return egw_sprintf(t->a, "%s/%s must contain valid tls.crt and tls.key, unable to "
					 "parse %s formatted private key in tls.key", ns, name, fmt);
	const char *err = key_pair_error(&leaf, &k);
	if (err)
		return egw_sprintf(t->a, "%s/%s must contain a matching tls.crt and tls.key: %s", ns,
				   name, err);
	return NULL;
}

/* ---- CA bundles and CRLs ---- */

/* A block as Go's pem.EncodeToMemory writes it (no headers). */
static void pem_encode(ir_tr *t, egw_buf *out, const pem_block *b)
{
	egw_buf_printf(out, "-----BEGIN %s-----\n", b->type);
	const char *body = ir_b64_encode(t, (const char *)b->der, b->len);
	size_t n = strlen(body);
	for (size_t i = 0; i < n; i += 64) {
		egw_buf_put(out, body + i, n - i < 64 ? n - i : 64);
		egw_buf_putc(out, '\n');
	}
	egw_buf_printf(out, "-----END %s-----\n", b->type);
}

const char *ir_ca_bundle(ir_tr *t, const char *pem, size_t n, const char **err)
{
	egw_buf valid, errs;
	egw_buf_init(&valid, t->a);
	egw_buf_init(&errs, t->a);
	const char *p = pem, *end = pem + n;
	pem_block b;
	while (pem_next(t, &p, end, &b)) {
		const char *e = check_cert_block(t, &b, NULL);
		if (e) {
			if (errs.len)
				egw_buf_putc(&errs, '\n');
			egw_buf_puts(&errs, e);
			continue;
		}
		pem_encode(t, &valid, &b);
	}
	*err = errs.len ? egw_buf_str(&errs) : NULL;
	if (!valid.len) {
		if (!*err)
			*err = n ? "unable to decode pem data for certificate" : "no certificate data provided";
		return NULL;
	}
	return egw_buf_str(&valid);
}

const char *ir_crl_error(ir_tr *t, const char *pem, size_t n)
{
	const char *p = pem;
	pem_block b;
	if (!pem_next(t, &p, pem + n, &b))
		return "unable to decode pem data for CRL";
	der in = { b.der, b.len }, crl, tbs, v;
	int64_t this_update, next_update = 0;
	if (!der_read(&in, T_SEQ, &crl) || !der_read(&crl, T_SEQ, &tbs))
		return "failed to parse CRL: x509: malformed crl";
	if (der_peek(&tbs, T_INTEGER))
		der_read(&tbs, T_INTEGER, &v);
	if (!der_read(&tbs, T_SEQ, &v) || !der_read(&tbs, T_SEQ, &v) || !der_time(&tbs, &this_update))
		return "failed to parse CRL: x509: malformed crl";
	if ((der_peek(&tbs, T_UTCTIME) || der_peek(&tbs, T_GENTIME)) && !der_time(&tbs, &next_update))
		return "failed to parse CRL: x509: malformed crl";
	int64_t now = t->c->now_unix;
	if (!now)
		return NULL;
	if (next_update && now > next_update)
		return egw_sprintf(t->a, "CRL is expired (next update was due at %s)", fmt_time(t, next_update));
	if (now < this_update)
		return egw_sprintf(t->a, "CRL is not yet valid (this update starts at %s)", fmt_time(t, this_update));
	return NULL;
}
