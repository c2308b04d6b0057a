/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTPRoute / GRPCRoute filters: header modifiers, redirects, URL
 * rewrites, request mirrors, CORS and HTTPRouteFilter extension refs, with
 * Envoy Gateway's validation messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "route.h"

const char *ir_cond_msg(ir_tr *t, const char *m)
{
	size_t n = strlen(m);
	char *r = egw_alloc(t->a, n + 2);
	memcpy(r, m, n);
	if (n && r[0] >= 'a' && r[0] <= 'z')
		r[0] = (char)(r[0] - 'a' + 'A');
	if (!n || r[n - 1] != '.')
		r[n++] = '.';
	r[n] = 0;
	return r;
}

static void err_add(ir_tr *t, rerrs *es, const char *type, const char *reason, const char *text);

void ir_err_add(ir_tr *t, rerrs *es, const char *type, const char *reason, const char *msg)
{
	err_add(t, es, type, reason, ir_cond_msg(t, msg));
}

void ir_err_add_raw(ir_tr *t, rerrs *es, const char *type, const char *reason, const char *msg)
{
	err_add(t, es, type, reason, msg);
}

static void err_add(ir_tr *t, rerrs *es, const char *type, const char *reason, const char *text)
{
	rerr *e = NULL;
	for (size_t i = 0; i < es->n; i++)
		if (!strcmp(es->e[i].type, type))
			e = &es->e[i];
	if (!e) {
		if (es->n == 4)
			return;
		e = &es->e[es->n++];
		e->type = type;
		egw_buf_init(&e->reasons, t->a);
		egw_buf_init(&e->msgs, t->a);
		e->n = 0;
	}
	const char *rs = egw_buf_str(&e->reasons);
	/* reasons are kept unique */
	bool have = false;
	const char *p = rs;
	size_t rl = strlen(reason);
	while (*p) {
		const char *c = strchr(p, ',');
		size_t l = c ? (size_t)(c - p) : strlen(p);
		if (l == rl && !strncmp(p, reason, l))
			have = true;
		p += l + (c ? 1 : 0);
		if (!c)
			break;
	}
	if (!have) {
		if (e->reasons.len)
			egw_buf_putc(&e->reasons, ',');
		egw_buf_puts(&e->reasons, reason);
	}
	if (e->n)
		egw_buf_putc(&e->msgs, '\n');
	egw_buf_puts(&e->msgs, text);
	e->n++;
}

static bool has_name(egw_node *list, const char *name)
{
	egw_node *x;
	EGW_ARR_EACH(list, i, x)
	{
		const char *n = x->kind == EGW_OBJ ? egw_get_str(x, "name", "") : egw_text(x);
		if (n && !strcasecmp(n, name))
			return true;
	}
	return false;
}

static bool modifiable_header(const char *n)
{
	return !strchr(n, '/') && !strchr(n, ':') && strcasecmp(n, "host");
}

/* RFC 7230 field value: visible characters separated by single spaces/tabs. */
static bool valid_header_value(const char *v)
{
	if (!*v)
		return false;
	const unsigned char *p = (const unsigned char *)v;
	if (*p == ' ' || *p == '\t')
		return false;
	for (; *p; p++) {
		if (*p == ' ' || *p == '\t') {
			if (!p[1] || p[1] == ' ' || p[1] == '\t')
				return false;
			continue;
		}
		if (*p < '!' || *p > '~')
			return false;
	}
	return true;
}

static egw_node *add_header(ir_tr *t, egw_node **dst, const char *name, const char *value,
			    bool append)
{
	if (!*dst)
		*dst = egw_arr(t->a);
	egw_node *x = egw_arr_push(t->a, *dst, egw_obj(t->a));
	egw_set_str(t->a, x, "name", name);
	egw_node *v = egw_set_arr(t->a, x, "value");
	egw_arr_push(t->a, v, ir_s(t, value));
	egw_set_bool(t->a, x, "append", append);
	return x;
}

static void join(egw_buf *b, const char *msg)
{
	if (b->len)
		egw_buf_putc(b, '\n');
	egw_buf_puts(b, msg);
}

static void header_modifier(ir_tr *t, egw_node *m, bool req, filt *f, rerrs *es)
{
	if (!m)
		return;
	const char *what = req ? "RequestHeaderModifier" : "ResponseHeaderModifier";
	egw_node **add = req ? &f->add_req : &f->add_resp;
	egw_node **rm = req ? &f->rm_req : &f->rm_resp;
	bool empty_cfg = true;
	egw_buf eb;
	egw_buf_init(&eb, t->a);
	static const char *ops[] = { "add", "set" };
	for (int oi = 0; oi < 2; oi++) {
		egw_node *h;
		if (egw_len(egw_get(m, ops[oi])))
			empty_cfg = false;
		EGW_ARR_EACH(egw_get(m, ops[oi]), hi, h)
		{
			const char *n = egw_get_str(h, "name", "");
			const char *v = egw_get_str(h, "value", "");
			if (!*n) {
				join(&eb, egw_sprintf(t->a, "%s Filter cannot %s a header with an empty name", what, ops[oi]));
				continue;
			}
			if (!modifiable_header(n)) {
				if (req)
					join(&eb, egw_sprintf(t->a,
							      "Header: \"%s\". The RequestHeaderModifier filter cannot %s the Host header or headers with a '/' or ':' character in them. To modify the Host header use the URLRewrite or the HTTPRouteFilter filter.",
							      n, ops[oi]));
				else
					join(&eb, egw_sprintf(t->a,
							      "Header: \"%s\". The ResponseHeaderModifier filter cannot set the Host header or headers with a '/' or ':' character in them.",
							      n));
				continue;
			}
			if (!valid_header_value(v)) {
				join(&eb, egw_sprintf(t->a, "Header: \"%s\". %s Filter cannot %s a header with an invalid value.",
						      n, what, ops[oi]));
				continue;
			}
			if (has_name(*add, n))
				continue;
			add_header(t, add, n, v, oi == 0);
		}
	}
	egw_node *h;
	if (egw_len(egw_get(m, "remove")))
		empty_cfg = false;
	EGW_ARR_EACH(egw_get(m, "remove"), hi, h)
	{
		const char *n = egw_text(h);
		if (!n || !*n) {
			join(&eb, egw_sprintf(t->a, "%s Filter cannot remove a header with an empty name", what));
			continue;
		}
		if (!modifiable_header(n)) {
			join(&eb, egw_sprintf(t->a,
					      "Header: \"%s\". The %s filter cannot remove the Host header or headers with a '/' or ':' character in them.",
					      n, what));
			continue;
		}
		if (has_name(*rm, n))
			continue;
		if (!*rm)
			*rm = egw_arr(t->a);
		egw_arr_push(t->a, *rm, ir_s(t, n));
	}
	if (!egw_len(*add) && !egw_len(*rm) && !empty_cfg) {
		ir_err_add(t, es, "Accepted", "UnsupportedValue",
			   egw_sprintf(t->a, "%s Filter did not provide valid configuration to %s any headers", what,
				       req ? "add/set/remove" : "add/remove"));
		f->failed = true;
		return;
	}
	if (eb.len) {
		ir_err_add(t, es, "Accepted", "UnsupportedValue", egw_buf_str(&eb));
		f->failed = true;
	}
}

static void path_modifier(ir_tr *t, egw_node *pm, egw_node *dst)
{
	const char *pty = egw_get_str(pm, "type", "");
	if (!strcmp(pty, "ReplaceFullPath"))
		egw_set_str(t->a, dst, "fullReplace", egw_get_str(pm, "replaceFullPath", ""));
	else if (!strcmp(pty, "ReplacePrefixMatch"))
		egw_set_str(t->a, dst, "prefixMatchReplace", egw_get_str(pm, "replacePrefixMatch", ""));
}

static bool redirect(ir_tr *t, egw_node *m, filt *f, rerrs *es)
{
	if (f->redirect) {
		ir_err_add(t, es, "Accepted", "UnsupportedValue",
			   "cannot configure multiple requestRedirect filters for a single HTTPRouteRule");
		return false;
	}
	egw_node *rd = egw_obj(t->a);
	const char *sch = ir_str(m, "scheme");
	if (sch && strcmp(sch, "http") && strcmp(sch, "https")) {
		ir_err_add(t, es, "Accepted", "UnsupportedValue",
			   egw_sprintf(t->a, "scheme: %s is unsupported, only 'https' and 'http' are supported", sch));
		return false;
	}
	if (sch)
		egw_set_str(t->a, rd, "scheme", sch);
	const char *hn = ir_str(m, "hostname");
	if (hn)
		egw_set_str(t->a, rd, "hostname", hn);
	egw_node *pm = egw_get(m, "path");
	if (pm) {
		const char *pty = egw_get_str(pm, "type", "");
		if (strcmp(pty, "ReplaceFullPath") && strcmp(pty, "ReplacePrefixMatch")) {
			ir_err_add(t, es, "Accepted", "UnsupportedValue",
				   egw_sprintf(t->a,
					       "redirect path type: %s is invalid, only \"ReplaceFullPath\" and \"ReplacePrefixMatch\" are supported",
					       pty));
			return false;
		}
		path_modifier(t, pm, egw_set_obj(t->a, rd, "path"));
	}
	egw_node *code = egw_get(m, "statusCode");
	int64_t c = 302;
	if (code && egw_node_int(code, &c) && c != 301 && c != 302 && c != 303 && c != 307 && c != 308) {
		ir_err_add(t, es, "Accepted", "UnsupportedValue",
			   egw_sprintf(t->a, "status code %lld is invalid, only 302 and 301 are supported", (long long)c));
		return false;
	}
	if (code)
		egw_set_int(t->a, rd, "statusCode", c);
	egw_node *port = egw_get(m, "port");
	if (port)
		egw_obj_set(t->a, rd, "port", egw_clone(t->a, port));
	f->redirect = rd;
	return true;
}

static bool url_rewrite(ir_tr *t, egw_node *m, filt *f, rerrs *es)
{
	egw_node *rw = f->rewrite;
	if (rw) {
		egw_node *rp = egw_get(rw, "path"), *rh = egw_get(rw, "host");
		bool ctx_core = (rp && (egw_get(rp, "fullReplace") || egw_get(rp, "prefixMatchReplace"))) ||
				(rh && egw_get(rh, "name"));
		bool ctx_ext_path = rp && egw_get(rp, "regexMatchReplace");
		bool ctx_ext_host = rh && (egw_get(rh, "header") || egw_get(rh, "backend"));
		bool new_core = egw_get(m, "hostname") || egw_get(m, "path");
		if ((ctx_core && new_core) || (egw_get(m, "hostname") && ctx_ext_host) ||
		    (egw_get(m, "path") && ctx_ext_path)) {
			ir_err_add(t, es, "Accepted", "UnsupportedValue",
				   "cannot configure multiple urlRewrite filters for a single HTTPRouteRule");
			return false;
		}
	}
	const char *hn = ir_str(m, "hostname");
	egw_node *pm = egw_get(m, "path");
	if (pm) {
		const char *pty = egw_get_str(pm, "type", "");
		if (!strcmp(pty, "ReplaceFullPath")) {
			if (egw_get(pm, "replacePrefixMatch")) {
				ir_err_add(t, es, "Accepted", "UnsupportedValue",
					   "ReplacePrefixMatch cannot be set when rewrite path type is \"ReplaceFullPath\"");
				return false;
			}
			if (!egw_get(pm, "replaceFullPath")) {
				ir_err_add(t, es, "Accepted", "UnsupportedValue",
					   "ReplaceFullPath must be set when rewrite path type is \"ReplaceFullPath\"");
				return false;
			}
		} else if (!strcmp(pty, "ReplacePrefixMatch")) {
			if (egw_get(pm, "replaceFullPath")) {
				ir_err_add(t, es, "Accepted", "UnsupportedValue",
					   "ReplaceFullPath cannot be set when rewrite path type is \"ReplacePrefixMatch\"");
				return false;
			}
			if (!egw_get(pm, "replacePrefixMatch")) {
				ir_err_add(t, es, "Accepted", "UnsupportedValue",
					   "ReplacePrefixMatch must be set when rewrite path type is \"ReplacePrefixMatch\"");
				return false;
			}
		} else {
			ir_err_add(t, es, "Accepted", "UnsupportedValue",
				   egw_sprintf(t->a,
					       "rewrite path type: %s is invalid, only \"ReplaceFullPath\" and \"ReplacePrefixMatch\" are supported",
					       pty));
			return false;
		}
	}
	if (!f->rewrite)
		f->rewrite = egw_obj(t->a);
	if (hn && !egw_get(f->rewrite, "host"))
		egw_set_str(t->a, egw_set_obj(t->a, f->rewrite, "host"), "name", hn);
	if (pm && !egw_get(f->rewrite, "path"))
		path_modifier(t, pm, egw_set_obj(t->a, f->rewrite, "path"));
	return true;
}

static void mirror(ir_tr *t, rctx *r, egw_node *m, size_t fi, size_t ri, filt *f, rerrs *es)
{
	egw_node *bref = egw_clone(t->a, egw_get(m, "backendRef"));
	if (!bref)
		bref = egw_obj(t->a);
	egw_set_int(t->a, bref, "weight", 1);
	const char *dest = egw_sprintf(t->a, "%s/%s/%s/rule/%zu-mirror-%zu", r->prefix, r->o->ns, r->o->name, ri, fi);
	ir_dest_err err = { 0 };
	egw_node *ds = ir_backend_setting(t, r->o, r->kind, bref, egw_sprintf(t->a, "%s/backend/-1", dest),
					  r->nps ? r->ps[0].g : NULL, &err);
	if (!ds) {
		ir_err_add(t, es, err.no_endpoints ? "BackendsAvailable" : "ResolvedRefs", err.reason,
			   egw_sprintf(t->a, "failed to validate the RequestMirror filter: %s", err.msg));
		f->mirror_failed = true;
		if (!err.no_endpoints) /* a mirror without endpoints does not fail the rule */
			f->failed = true;
		return;
	}
	egw_node *mp = egw_obj(t->a);
	egw_node *d = egw_set_obj(t->a, mp, "destination");
	egw_set_str(t->a, d, "name", dest);
	egw_arr_push(t->a, egw_set_arr(t->a, d, "settings"), ds);
	egw_node *frac = egw_get(m, "fraction");
	egw_node *pct = egw_get(m, "percent");
	if (frac) {
		double num = (double)egw_get_int(frac, "numerator", 0);
		double den = (double)egw_get_int(frac, "denominator", 100);
		egw_obj_set(t->a, mp, "percentage", egw_float(t->a, (float)(100.0 * num / den)));
	} else if (pct) {
		egw_obj_set(t->a, mp, "percentage", egw_clone(t->a, pct));
	}
	if (!f->mirrors)
		f->mirrors = egw_arr(t->a);
	egw_arr_push(t->a, f->mirrors, mp);
}

static const char *wildcard_regex(ir_tr *t, const char *s)
{
	egw_buf b;
	egw_buf_init(&b, t->a);
	for (const char *p = s; *p; p++) {
		if (*p == '.')
			egw_buf_puts(&b, "\\.");
		else if (*p == '*')
			egw_buf_puts(&b, ".*");
		else
			egw_buf_putc(&b, *p);
	}
	return egw_buf_str(&b);
}

static void cors(ir_tr *t, egw_node *m, filt *f)
{
	egw_node *c = egw_obj(t->a);
	egw_node *o;
	egw_node *origins = egw_arr(t->a);
	EGW_ARR_EACH(egw_get(m, "allowOrigins"), i, o)
	{
		const char *s = egw_text(o);
		egw_node *sm = egw_arr_push(t->a, origins, egw_obj(t->a));
		if (strchr(s, '*'))
			egw_set_str(t->a, sm, "safeRegex", wildcard_regex(t, s));
		else
			egw_set_str(t->a, sm, "exact", s);
	}
	if (origins->n)
		egw_obj_set(t->a, c, "allowOrigins", origins);
	static const char *lists[] = { "allowMethods", "allowHeaders", "exposeHeaders" };
	for (int i = 0; i < 3; i++)
		if (egw_len(egw_get(m, lists[i])))
			egw_obj_set(t->a, c, lists[i], egw_clone(t->a, egw_get(m, lists[i])));
	int64_t age = egw_get_int(m, "maxAge", 0);
	egw_set_str(t->a, c, "maxAge", ir_fmt_duration(t, (double)age));
	if (egw_get_bool(m, "allowCredentials", false))
		egw_set_bool(t->a, c, "allowCredentials", true);
	f->cors = c;
}

static void unresolved(ir_tr *t, filt *f, rerrs *es, const char *msg)
{
	f->direct = egw_obj(t->a);
	egw_set_int(t->a, f->direct, "statusCode", 500);
	ir_err_add(t, es, "ResolvedRefs", "UnsupportedValue", msg);
	f->failed = true;
}

static void invalid_filter(ir_tr *t, filt *f, rerrs *es, const char *type, const char *msg)
{
	f->direct = egw_obj(t->a);
	egw_set_int(t->a, f->direct, "statusCode", 500);
	ir_err_add(t, es, "Accepted", "UnsupportedValue",
		   egw_sprintf(t->a, "invalid filter %s: %s", type, msg));
	f->failed = true;
}

static void ext_rewrite(ir_tr *t, egw_node *rw, filt *f, rerrs *es)
{
	if (egw_get_bool(rw, "appendXForwardedHost", false)) {
		if (!f->rewrite)
			f->rewrite = egw_obj(t->a);
		egw_set_bool(t->a, f->rewrite, "appendXForwardedHost", true);
	}
	if (f->rewrite) {
		egw_node *rp = egw_get(f->rewrite, "path"), *rh = egw_get(f->rewrite, "host");
		bool ext = (rp && egw_get(rp, "regexMatchReplace")) ||
			   (rh && (egw_get(rh, "header") || egw_get(rh, "backend")));
		bool core_path = rp && (egw_get(rp, "fullReplace") || egw_get(rp, "prefixMatchReplace"));
		bool core_host = rh && egw_get(rh, "name");
		bool nw = egw_get(rw, "hostname") || egw_get(rw, "path");
		if ((ext && nw) || (egw_get(rw, "hostname") && core_host) || (egw_get(rw, "path") && core_path)) {
			ir_err_add(t, es, "Accepted", "UnsupportedValue",
				   "cannot configure multiple urlRewrite filters for a single HTTPRouteRule");
			f->failed = true;
			return;
		}
	}
	egw_node *p = egw_get(rw, "path");
	if (p && ir_streq(ir_str(p, "type"), "ReplaceRegexMatch")) {
		egw_node *rm = egw_get(p, "replaceRegexMatch");
		const char *pat = ir_str(rm, "pattern");
		if (!pat || !*pat) {
			ir_err_add(t, es, "Accepted", "UnsupportedValue",
				   "ReplaceRegexMatch Pattern must be set when rewrite path type is \"ReplaceRegexMatch\"");
			f->failed = true;
			return;
		}
		if (!ir_regex_valid(pat)) {
			ir_err_add(t, es, "Accepted", "UnsupportedValue",
				   "ReplaceRegexMatch must be a valid RE2 regular expression");
			f->failed = true;
			return;
		}
		if (!f->rewrite)
			f->rewrite = egw_obj(t->a);
		if (!egw_get(f->rewrite, "path")) {
			egw_node *rr = egw_set_obj(t->a, egw_set_obj(t->a, f->rewrite, "path"), "regexMatchReplace");
			egw_set_str(t->a, rr, "pattern", pat);
			egw_set_str(t->a, rr, "substitution", egw_get_str(rm, "substitution", ""));
		}
	}
	egw_node *h = egw_get(rw, "hostname");
	if (h) {
		egw_node *hm = egw_obj(t->a);
		const char *ty = egw_get_str(h, "type", "");
		if (!strcmp(ty, "Header")) {
			if (!ir_str(h, "header")) {
				ir_err_add(t, es, "Accepted", "UnsupportedValue",
					   "Header must be set when rewrite path type is \"Header\"");
				f->failed = true;
				return;
			}
			egw_set_str(t->a, hm, "header", ir_str(h, "header"));
		} else if (!strcmp(ty, "Backend")) {
			egw_set_bool(t->a, hm, "backend", true);
		} else if (!strcmp(ty, "PathRegex")) {
			egw_node *pr = egw_get(h, "pathRegex");
			egw_node *x = egw_set_obj(t->a, hm, "pathRegex");
			egw_set_str(t->a, x, "pattern", egw_get_str(pr, "pattern", ""));
			egw_set_str(t->a, x, "substitution", egw_get_str(pr, "substitution", ""));
		}
		if (!f->rewrite)
			f->rewrite = egw_obj(t->a);
		if (!egw_get(f->rewrite, "host"))
			egw_obj_set(t->a, f->rewrite, "host", hm);
	}
}

static void ext_direct(ir_tr *t, egw_node *dr, const char *ns, const char *name, filt *f, rerrs *es)
{
	egw_node *d = egw_obj(t->a);
	egw_node *body = egw_get(dr, "body");
	if (body) {
		const char *bt = egw_get_str(body, "type", "Inline");
		const char *text = NULL;
		if (!strcmp(bt, "ValueRef")) {
			egw_node *vr = egw_get(body, "valueRef");
			egw_object *cm = egw_res_find(t->rs, EGW_K_CONFIGMAP, ns, egw_get_str(vr, "name", ""));
			if (cm)
				text = egw_text(egw_get(egw_get(cm->node, "data"), "response.body"));
			egw_node *bd = cm ? egw_get(cm->node, "binaryData") : NULL;
			const char *bin = egw_text(egw_get(bd, "response.body"));
			if (cm && !text && !bin) {
				/* a ConfigMap with a single value: that value is the body */
				egw_node *dd = egw_get(cm->node, "data");
				if (egw_len(dd) == 1 && !egw_len(bd))
					text = egw_text(dd->c.members[0].val);
				else if (egw_len(bd) == 1 && !egw_len(dd))
					bin = egw_text(bd->c.members[0].val);
			}
			if (!text && bin) {
				/* binaryData is already base64 */
				egw_set_str(t->a, d, "body", bin);
				goto body_done;
			}
			if (!text) {
				unresolved(t, f, es, egw_sprintf(t->a, "Unable to translate HTTPRouteFilter: %s/%s", ns, name));
				return;
			}
		} else {
			text = egw_get_str(body, "inline", "");
		}
		egw_set_str(t->a, d, "body", ir_b64_encode(t, text, strlen(text)));
	}
body_done:
	egw_set_int(t->a, d, "statusCode", egw_get_int(dr, "statusCode", 200));
	const char *ct = ir_str(dr, "contentType");
	if (ct)
		add_header(t, &f->add_resp, "Content-Type", ct, false);
	egw_node *hm = egw_get(dr, "header");
	egw_node *hh;
	EGW_ARR_EACH(egw_get(hm, "add"), i, hh)
	add_header(t, &f->add_resp, egw_get_str(hh, "name", ""), egw_get_str(hh, "value", ""), true);
	EGW_ARR_EACH(egw_get(hm, "set"), i, hh)
	add_header(t, &f->add_resp, egw_get_str(hh, "name", ""), egw_get_str(hh, "value", ""), false);
	f->direct = d;
}

static void ext_credential(ir_tr *t, egw_node *ci, const char *ns, const char *name, filt *f, rerrs *es)
{
	egw_node *vr = egw_path(ci, "credential.valueRef");
	const char *sn = egw_get_str(vr, "name", "");
	const char *sns = egw_get_str(vr, "namespace", ns);
	egw_object *sec = egw_res_find(t->rs, EGW_K_SECRET, sns, sn);
	if (!sec) {
		invalid_filter(t, f, es, "HTTPRouteFilter", egw_sprintf(t->a, "secret %s/%s does not exist", sns, sn));
		return;
	}
	const char *cred = egw_text(egw_get(egw_get(sec->node, "data"), "credential"));
	if (!cred || !*cred) {
		invalid_filter(t, f, es, "HTTPRouteFilter",
			       egw_sprintf(t->a, "credential key credential not found in secret %s/%s", sns, sn));
		return;
	}
	egw_node *c = egw_obj(t->a);
	egw_set_str(t->a, c, "name", egw_sprintf(t->a, "httproutefilter/%s/%s", ns, name));
	if (ir_str(ci, "header"))
		egw_set_str(t->a, c, "header", ir_str(ci, "header"));
	if (egw_get(ci, "overwrite"))
		egw_obj_set(t->a, c, "overwrite", egw_clone(t->a, egw_get(ci, "overwrite")));
	egw_set_str(t->a, c, "credential", cred);
	f->cred = c;
}

static void route_filter(ir_tr *t, rctx *r, egw_node *ref, filt *f, rerrs *es)
{
	const char *kind = egw_get_str(ref, "kind", "");
	const char *grp = egw_get_str(ref, "group", "");
	const char *name = egw_get_str(ref, "name", "");
	const char *ns = r->o->ns;
	if (strcmp(kind, "HTTPRouteFilter")) {
		if (!ir_ext_registered(t, "resources", grp, kind)) {
			invalid_filter(t, f, es, "ExtensionRef", egw_sprintf(t->a, "unknown kind %s/%s", grp, kind));
			return;
		}
		egw_object *eo = egw_res_find_ext(t->rs, grp, kind, ns, name);
		if (eo && !strchr(eo->api_version, '/')) {
			unresolved(t, f, es,
				   egw_sprintf(t->a, "Unable to translate APIVersion for Extension Filter: kind: %s, %s/%s",
					       kind, ns, name));
			return;
		}
		if (!eo) {
			unresolved(t, f, es,
				   egw_sprintf(t->a, "Reference %s/%s not found for filter type: %s", ns, name, kind));
			return;
		}
		if (!f->ext_refs)
			f->ext_refs = egw_arr(t->a);
		egw_node *u = egw_arr_push(t->a, f->ext_refs, egw_obj(t->a));
		egw_obj_set(t->a, u, "object", ir_ext_object(t, eo));
		return;
	}
	if (strcmp(grp, EG_GROUP)) {
		invalid_filter(t, f, es, "ExtensionRef", egw_sprintf(t->a, "unknown kind %s/%s", grp, kind));
		return;
	}
	egw_object *hrf = egw_res_find(t->rs, EGW_K_HTTPROUTEFILTER, ns, name);
	if (!hrf) {
		unresolved(t, f, es, egw_sprintf(t->a, "Unable to translate HTTPRouteFilter: %s/%s", ns, name));
		return;
	}
	egw_node *spec = egw_get(hrf->node, "spec");
	if (egw_len(egw_get(spec, "matches"))) {
		if (f->matches) {
			ir_err_add(t, es, "Accepted", "UnsupportedValue",
				   "only one HTTPRouteFilter with matches is supported per HTTPRouteRule");
			f->failed = true;
			return;
		}
		f->matches = egw_get(spec, "matches");
	}
	if (egw_get(spec, "urlRewrite")) {
		ext_rewrite(t, egw_get(spec, "urlRewrite"), f, es);
		if (f->failed)
			return;
	}
	if (egw_get(spec, "directResponse")) {
		ext_direct(t, egw_get(spec, "directResponse"), ns, name, f, es);
		if (f->failed)
			return;
	}
	if (egw_get(spec, "credentialInjection"))
		ext_credential(t, egw_get(spec, "credentialInjection"), ns, name, f, es);
}

void ir_process_filters(ir_tr *t, rctx *r, egw_node *filters, size_t ri, filt *f, rerrs *es)
{
	bool grpc = !strcmp(r->kind, "GRPCRoute");
	egw_node *fl;
	EGW_ARR_EACH(filters, i, fl)
	{
		if (f->direct)
			break;
		const char *ty = egw_get_str(fl, "type", "");
		if (!strcmp(ty, "RequestHeaderModifier")) {
			header_modifier(t, egw_get(fl, "requestHeaderModifier"), true, f, es);
		} else if (!strcmp(ty, "ResponseHeaderModifier")) {
			header_modifier(t, egw_get(fl, "responseHeaderModifier"), false, f, es);
		} else if (!strcmp(ty, "RequestRedirect") && !grpc) {
			if (!redirect(t, egw_get(fl, "requestRedirect"), f, es))
				f->failed = true;
		} else if (!strcmp(ty, "URLRewrite") && !grpc) {
			if (!url_rewrite(t, egw_get(fl, "urlRewrite"), f, es))
				f->failed = true;
		} else if (!strcmp(ty, "RequestMirror")) {
			mirror(t, r, egw_get(fl, "requestMirror"), i, ri, f, es);
		} else if (!strcmp(ty, "CORS") && !grpc) {
			cors(t, egw_get(fl, "cors"), f);
		} else if (!strcmp(ty, "ExtensionRef")) {
			route_filter(t, r, egw_get(fl, "extensionRef"), f, es);
		} else {
			f->direct = egw_obj(t->a);
			egw_set_int(t->a, f->direct, "statusCode", 500);
			ir_err_add(t, es, "ResolvedRefs", "UnsupportedValue",
				   egw_sprintf(t->a, "unsupported filter type: %s", ty));
			f->failed = true;
		}
	}
	if (f->direct && f->mirrors) {
		f->direct = NULL;
		f->mirrors = NULL;
		ir_err_add(t, es, "Accepted", "IncompatibleFilters",
			   "RequestMirror filter cannot be used when the rule also configures a DirectResponse filter");
		f->failed = true;
	}
	if (f->redirect && f->mirrors) {
		f->redirect = NULL;
		f->mirrors = NULL;
		ir_err_add(t, es, "Accepted", "IncompatibleFilters",
			   "RequestMirror filter cannot be used when the rule also configures a RequestRedirect filter");
		f->failed = true;
	}
}

void ir_apply_filters(ir_tr *t, egw_node *x, filt *f)
{
	if (f->redirect)
		egw_obj_set(t->a, x, "redirect", egw_clone(t->a, f->redirect));
	if (f->direct)
		egw_obj_set(t->a, x, "directResponse", f->direct);
	if (f->rewrite)
		egw_obj_set(t->a, x, "urlRewrite", f->rewrite);
	if (f->cred)
		egw_obj_set(t->a, x, "credentialInjection", f->cred);
	if (f->add_req)
		egw_obj_set(t->a, x, "addRequestHeaders", f->add_req);
	if (f->rm_req)
		egw_obj_set(t->a, x, "removeRequestHeaders", f->rm_req);
	if (f->add_resp)
		egw_obj_set(t->a, x, "addResponseHeaders", f->add_resp);
	if (f->rm_resp)
		egw_obj_set(t->a, x, "removeResponseHeaders", f->rm_resp);
	if (f->mirrors)
		egw_obj_set(t->a, x, "mirrors", f->mirrors);
	if (f->cors)
		egw_obj_set(t->a, x, "cors", f->cors);
	if (f->ext_refs)
		egw_obj_set(t->a, x, "extensionRefs", f->ext_refs);
}

/* Filters on a backendRef: header modifiers, a host rewrite and
 * HTTPRouteFilter references.  Returns the setting's `filters` object (NULL
 * when there are none) or sets *err. */
egw_node *ir_backend_filters(ir_tr *t, rctx *r, egw_node *filters, const char **err,
			     const char **reason)
{
	*reason = "UnsupportedRefValue";
	if (!egw_len(filters))
		return NULL;
	filt f;
	memset(&f, 0, sizeof f);
	rerrs es;
	memset(&es, 0, sizeof es);
	egw_node *fl;
	EGW_ARR_EACH(filters, i, fl)
	{
		const char *ty = egw_get_str(fl, "type", "");
		if (!strcmp(ty, "RequestHeaderModifier")) {
			header_modifier(t, egw_get(fl, "requestHeaderModifier"), true, &f, &es);
		} else if (!strcmp(ty, "ResponseHeaderModifier")) {
			header_modifier(t, egw_get(fl, "responseHeaderModifier"), false, &f, &es);
		} else if (!strcmp(ty, "URLRewrite")) {
			egw_node *m = egw_get(fl, "urlRewrite");
			if (egw_get(m, "path")) {
				*err = "URLRewrite path modifier is not supported within BackendRef";
				return NULL;
			}
			const char *hn = ir_str(m, "hostname");
			if (hn) {
				if (!f.rewrite)
					f.rewrite = egw_obj(t->a);
				egw_set_str(t->a, egw_set_obj(t->a, f.rewrite, "host"), "name", hn);
			}
		} else if (!strcmp(ty, "ExtensionRef") &&
			   ir_streq(egw_text(egw_path(fl, "extensionRef.kind")), "HTTPRouteFilter")) {
			route_filter(t, r, egw_get(fl, "extensionRef"), &f, &es);
			if (es.n) {
				*reason = "InvalidBackendFilters";
				*err = egw_buf_str(&es.e[0].msgs);
				return NULL;
			}
		} else {
			*err = "Specific filter is not supported within BackendRef, only RequestHeaderModifier, ResponseHeaderModifier, URLRewrite and gateway.envoyproxy.io/HTTPRouteFilter are supported";
			return NULL;
		}
	}
	egw_node *out = egw_obj(t->a);
	ir_apply_filters(t, out, &f);
	egw_obj_del(out, "directResponse");
	return egw_len(out) ? out : NULL;
}
