/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EnvoyProxy: the copy the infra IR carries as `config`, the Accepted
 * ancestor status on the EnvoyProxy itself, and the access log settings it
 * gives the fleet's xDS IR.
 */
#include <string.h>

#include "internal.h"
#include "policy.h"

/* Adds an Accepted ancestor for ref to the EnvoyProxy's status. */
const char *ir_envoyproxy_invalid(ir_tr *t, egw_object *ep)
{
	egw_buf b;
	egw_buf_init(&b, t->a);
	egw_node *s;
	EGW_ARR_EACH(egw_path(ep->node, "spec.telemetry.accessLog.settings"), i, s)
	{
		egw_node *k;
		EGW_ARR_EACH(egw_get(s, "sinks"), j, k)
		{
			static const char *const need[][2] = { { "File", "file" },
							       { "OpenTelemetry", "openTelemetry" } };
			for (size_t n = 0; n < 2; n++)
				if (ir_streq(egw_get_str(k, "type", ""), need[n][0]) && !egw_get(k, need[n][1]))
					egw_buf_printf(&b, "%sunable to configure access log when using %s sink type but \"%s\" field being empty",
						       b.len ? ", " : "", need[n][0], need[n][1]);
		}
	}
	return b.len ? egw_sprintf(t->a, "[%s]", egw_buf_str(&b)) : NULL;
}

void ir_envoyproxy_ancestor(ir_tr *t, egw_object *ep, egw_node *ref)
{
	if (!ep->status)
		ep->status = egw_obj(t->a);
	egw_node *anc = egw_arr_ensure(t->a, ep->status, "ancestors");
	egw_node *a;
	EGW_ARR_EACH(anc, i, a)
	{
		if (egw_equal(egw_get(a, "ancestorRef"), ref))
			return;
	}
	a = egw_arr_push(t->a, anc, egw_obj(t->a));
	egw_obj_set(t->a, a, "ancestorRef", ref);
	egw_node *conds = egw_set_arr(t->a, a, "conditions");
	ir_cond(t, conds, "Accepted", true, "Accepted", "EnvoyProxy has been accepted.");
}

/* The EnvoyProxy as the infra IR shows it: identity and spec, plus the
 * status this translation gives it. */
egw_node *ir_envoyproxy_config(ir_tr *t, egw_object *ep, bool with_status)
{
	egw_node *cfg = egw_obj(t->a);
	egw_set_str(t->a, cfg, "apiVersion", egw_get_str(ep->node, "apiVersion", ""));
	egw_set_str(t->a, cfg, "kind", "EnvoyProxy");
	egw_node *md = egw_set_obj(t->a, cfg, "metadata");
	egw_set_str(t->a, md, "name", ep->name);
	egw_set_str(t->a, md, "namespace", ep->ns);
	egw_node *src = egw_get(ep->node, "metadata");
	static const char *keep[] = { "labels", "annotations" };
	for (size_t i = 0; i < 2; i++)
		if (egw_get(src, keep[i]))
			egw_obj_set(t->a, md, keep[i], egw_clone(t->a, egw_get(src, keep[i])));
	egw_obj_set(t->a, cfg, "spec", egw_clone(t->a, egw_get(ep->node, "spec")));
	if (with_status && ep->status)
		egw_obj_set(t->a, cfg, "status", ep->status);
	return cfg;
}

/* A map rendered as Envoy Gateway's IR renders one: key/value pairs
 * sorted by key. */
static egw_node *map_to_slice(ir_tr *t, egw_node *m)
{
	egw_node *out = egw_arr(t->a);
	egw_member *mm;
	EGW_OBJ_EACH(m, i, mm)
	{
		egw_node *kv = egw_obj(t->a);
		egw_set_str(t->a, kv, "key", mm->key);
		egw_obj_set(t->a, kv, "value", egw_clone(t->a, mm->val));
		size_t at = out->n;
		egw_arr_push(t->a, out, kv);
		while (at > 0 && strcmp(egw_get_str(out->c.items[at - 1], "key", ""), mm->key) > 0) {
			out->c.items[at] = out->c.items[at - 1];
			out->c.items[at - 1] = kv;
			at--;
		}
	}
	return out;
}

egw_node *ir_health_check_log(ir_tr *t, egw_node *spec)
{
	egw_node *o = egw_obj(t->a);
	egw_node *matches = egw_get(spec, "matches");
	bool fail = !matches, ok = !matches;
	egw_node *m;
	EGW_ARR_EACH(matches, i, m)
	{
		fail |= ir_streq(egw_text(m), "Failure");
		ok |= ir_streq(egw_text(m), "Success");
	}
	if (fail)
		egw_set_bool(t->a, o, "alwaysLogHealthCheckFailures", true);
	if (ok)
		egw_set_bool(t->a, o, "alwaysLogHealthCheckSuccess", true);
	egw_node *files = egw_set_arr(t->a, o, "fileSinks");
	egw_node *s;
	EGW_ARR_EACH(egw_get(spec, "sinks"), i, s)
	{
		const char *path = egw_text(egw_path(s, "file.path"));
		if (ir_streq(egw_get_str(s, "type", "File"), "File") && path)
			egw_set_str(t->a, egw_arr_push(t->a, files, egw_obj(t->a)), "path", path);
	}
	if (!egw_get(spec, "sinks"))
		egw_set_str(t->a, egw_arr_push(t->a, files, egw_obj(t->a)), "path", "/dev/stdout");
	return o;
}

/* A telemetry sink's backendSettings as the IR's traffic settings of its
 * cluster (the same conversion as a policy's backendSettings). */
static void telemetry_traffic(ir_tr *t, egw_object *epo, egw_node *x, egw_node *sink)
{
	egw_node *bs = egw_get(sink, "backendSettings");
	if (!bs)
		return;
	pol_ctx pc;
	memset(&pc, 0, sizeof pc);
	pc.t = t;
	ir_pol p;
	memset(&p, 0, sizeof p);
	p.o = epo;
	p.kind = "EnvoyProxy";
	const char *err;
	egw_node *tr = pol_backend_settings(&pc, &p, bs, &err);
	if (tr)
		egw_obj_set(t->a, x, "traffic", tr);
}

/* A telemetry backend's setting: a BackendTLSPolicy that makes it TLS
 * names the EnvoyProxy as its ancestor. */
static egw_node *telemetry_setting(ir_tr *t, egw_object *epo, egw_node *bref, const char *sname, ir_gw *g,
				   ir_dest_err *err)
{
	void *saved = t->cur_parent;
	egw_node *self = egw_obj(t->a);
	egw_set_str(t->a, self, "group", EG_GROUP);
	egw_set_str(t->a, self, "kind", "EnvoyProxy");
	egw_set_str(t->a, self, "name", epo->name);
	egw_set_str(t->a, self, "namespace", epo->ns);
	t->cur_parent = self;
	egw_node *ds = ir_backend_setting(t, epo, "GRPCRoute", bref, sname, g, err);
	t->cur_parent = saved;
	return ds;
}

/* No request to take a server name from: a telemetry backend reached over
 * TLS without an SNI of its own is asked for its FQDN. */
static void telemetry_sni(ir_tr *t, egw_node *ds)
{
	egw_node *tls = egw_get(ds, "tls");
	if (!tls || egw_get(tls, "sni") || !ir_streq(egw_get_str(ds, "addressType", ""), "FQDN"))
		return;
	const char *h = egw_get_str(egw_at(egw_get(ds, "endpoints"), 0), "host", NULL);
	if (h)
		egw_set_str(t->a, tls, "sni", h);
}

/* A telemetry destination: the EnvoyProxy's backendRefs, or host/port. */
static egw_node *telemetry_dest(ir_tr *t, egw_object *epo, egw_node *refs, const char *name,
				const char *host, int64_t port, const char **authority)
{
	egw_node *d = egw_obj(t->a);
	egw_obj_set(t->a, d, "metadata", ir_meta(t, "EnvoyProxy", epo->ns, epo->name, NULL));
	egw_set_str(t->a, d, "name", name);
	egw_node *settings = egw_set_arr(t->a, d, "settings");
	const char *sname = egw_sprintf(t->a, "%s/backend/-1", name);
	*authority = NULL;
	egw_node *ref;
	EGW_ARR_EACH(refs, i, ref)
	{
		egw_node *bref = egw_clone(t->a, ref);
		if (!ir_str(bref, "namespace"))
			egw_set_str(t->a, bref, "namespace", epo->ns);
		ir_dest_err err = { 0 };
		egw_node *ds = telemetry_setting(t, epo, bref, sname, NULL, &err);
		if (!ds)
			continue;
		egw_set_str(t->a, ds, "protocol", "GRPC");
		egw_obj_del(ds, "weight");
		telemetry_sni(t, ds);
		if (i == 0) { /* the authority is the first backend's, if it has a name */
			if (ir_streq(egw_text(egw_path(ds, "metadata.kind")), "Service"))
				*authority = egw_sprintf(t->a, "%s.%s.svc", egw_text(egw_path(ds, "metadata.name")),
							 egw_text(egw_path(ds, "metadata.namespace")));
			else if (ir_streq(egw_get_str(ds, "addressType", ""), "FQDN"))
				*authority = egw_text(egw_get(egw_at(egw_get(ds, "endpoints"), 0), "host"));
		}
		egw_arr_push(t->a, settings, ds);
	}
	if (!settings->n && host) {
		egw_node *ds = egw_arr_push(t->a, settings, egw_obj(t->a));
		egw_set_str(t->a, ds, "addressType", "FQDN");
		egw_node *ep = egw_arr_push(t->a, egw_set_arr(t->a, ds, "endpoints"), egw_obj(t->a));
		egw_set_str(t->a, ep, "host", host);
		egw_set_int(t->a, ep, "port", port);
		egw_set_str(t->a, ds, "name", sname);
		egw_set_str(t->a, ds, "protocol", "GRPC");
		egw_set_int(t->a, ds, "weight", 1);
		*authority = host;
	}
	return d;
}

void ir_metric_sinks(ir_tr *t, ir_gw *g)
{
	egw_node *out = NULL;
	egw_node *s;
	EGW_ARR_EACH(egw_path(g->ep, "spec.telemetry.metrics.sinks"), i, s)
	{
		egw_node *ot = egw_get(s, "openTelemetry");
		if (!ir_streq(egw_get_str(s, "type", "OpenTelemetry"), "OpenTelemetry") || !ot)
			continue;
		const char *auth;
		egw_node *d = telemetry_dest(t, g->epo, egw_get(ot, "backendRefs"),
					     egw_sprintf(t->a, "metrics_otel_%zu", i), ir_str(ot, "host"),
					     egw_get_int(ot, "port", 0), &auth);
		if (!egw_len(egw_get(d, "settings")))
			continue;
		egw_node *x = egw_obj(t->a);
		if (auth)
			egw_set_str(t->a, x, "authority", auth);
		egw_obj_set(t->a, x, "destination", d);
		telemetry_traffic(t, g->epo, x, ot);
		if (!out)
			out = egw_set_arr(t->a, egw_get(g->infra, "proxy"), "resolvedMetricSinks");
		egw_arr_push(t->a, out, x);
	}
}

/* A sink's record format: the text and/or the attributes (without a type,
 * both when both are given). */
static void log_format(ir_tr *t, egw_node *x, egw_node *fmt, const char *json_key)
{
	const char *fty = ir_str(fmt, "type");
	const char *text = ir_str(fmt, "text");
	if (text && (!fty || !strcmp(fty, "Text")))
		egw_set_str(t->a, x, "text", text);
	if (egw_len(egw_get(fmt, "json")) && (!fty || strcmp(fty, "Text")))
		egw_obj_set(t->a, x, json_key, map_to_slice(t, egw_get(fmt, "json")));
}

static void file_log(ir_tr *t, egw_node *out, egw_node *fmt, const char *path, egw_node *matches,
		     egw_node *type)
{
	const char *fty = egw_get_str(fmt, "type", "JSON");
	egw_node *x = egw_obj(t->a);
	if (!strcmp(fty, "Text")) {
		const char *text = ir_str(fmt, "text");
		if (text)
			egw_set_str(t->a, x, "format", text);
	} else if (egw_len(egw_get(fmt, "json"))) {
		egw_obj_set(t->a, x, "json", map_to_slice(t, egw_get(fmt, "json")));
	}
	egw_set_str(t->a, x, "path", path);
	if (egw_len(matches))
		egw_obj_set(t->a, x, "celMatches", egw_clone(t->a, matches));
	if (type)
		egw_obj_set(t->a, x, "logType", egw_clone(t->a, type));
	egw_arr_push(t->a, egw_arr_ensure(t->a, out, strcmp(fty, "Text") ? "json" : "text"), x);
}

/* Access log of a fleet from the EnvoyProxy telemetry settings; file
 * sinks (ALS and OpenTelemetry sinks are not translated yet). */
void ir_access_log(ir_tr *t, egw_node *xds, egw_node *ep)
{
	egw_object *epo = NULL;
	{
		egw_node *md = egw_get(ep, "metadata");
		epo = egw_res_find(t->rs, EGW_K_ENVOYPROXY, egw_get_str(md, "namespace", ""),
				   egw_get_str(md, "name", ""));
	}
	egw_node *al = egw_path(ep, "spec.telemetry.accessLog");
	if (!al)
		return;
	if (egw_get_bool(al, "disable", false)) {
		egw_obj_del(xds, "accessLog");
		return;
	}
	egw_node *settings = egw_get(al, "settings");
	if (!egw_len(settings))
		return;
	egw_node *out = egw_obj(t->a);
	egw_node *s;
	EGW_ARR_EACH(settings, i, s)
	{
		egw_node *fmt = egw_get(s, "format");
		egw_node *matches = egw_get(s, "matches");
		egw_node *type = egw_get(s, "type");
		egw_node *sinks = egw_get(s, "sinks");
		if (!egw_len(sinks))
			file_log(t, out, fmt, "/dev/stdout", matches, type);
		egw_node *sink;
		EGW_ARR_EACH(sinks, j, sink)
		{
			const char *sty = egw_get_str(sink, "type", "");
			const char *auth = NULL;
			if (!strcmp(sty, "File")) {
				egw_node *file = egw_get(sink, "file");
				if (file)
					file_log(t, out, fmt, egw_get_str(file, "path", ""), matches, type);
			} else if (!strcmp(sty, "ALS") && egw_get(sink, "als") && epo) {
				egw_node *als = egw_get(sink, "als");
				egw_node *x = egw_obj(t->a);
				egw_obj_set(t->a, x, "destination",
					    telemetry_dest(t, epo, egw_get(als, "backendRefs"),
							   egw_sprintf(t->a, "accesslog_als_%zu_%zu", i, j), NULL, 0, &auth));
				const char *ln = ir_str(als, "logName");
				egw_set_str(t->a, x, "name", ln ? ln : egw_sprintf(t->a, "%s/%s", epo->ns, epo->name));
				const char *aty = egw_get_str(als, "type", "");
				egw_set_str(t->a, x, "type", aty);
				if (!strcmp(aty, "HTTP") && egw_get(als, "http"))
					egw_obj_set(t->a, x, "http", egw_clone(t->a, egw_get(als, "http")));
				log_format(t, x, fmt, "attributes");
				if (egw_len(matches))
					egw_obj_set(t->a, x, "celMatches", egw_clone(t->a, matches));
				if (type)
					egw_obj_set(t->a, x, "logType", egw_clone(t->a, type));
				telemetry_traffic(t, epo, x, als);
				egw_arr_push(t->a, egw_arr_ensure(t->a, out, "als"), x);
			} else if (!strcmp(sty, "OpenTelemetry") && egw_get(sink, "openTelemetry") && epo) {
				egw_node *ot = egw_get(sink, "openTelemetry");
				egw_node *x = egw_obj(t->a);
				egw_node *d = telemetry_dest(t, epo, egw_get(ot, "backendRefs"),
							     egw_sprintf(t->a, "accesslog_otel_%zu_%zu", i, j),
							     ir_str(ot, "host"), egw_get_int(ot, "port", 0), &auth);
				egw_obj_set(t->a, x, "destination", d);
				if (auth)
					egw_set_str(t->a, x, "authority", auth);
				egw_node *ra = egw_get(ot, "resourceAttributes");
				if (!ra)
					ra = egw_get(ot, "resources");
				if (egw_len(ra))
					egw_obj_set(t->a, x, "resourceAttributes", map_to_slice(t, ra));
				if (egw_get(ot, "headers"))
					egw_obj_set(t->a, x, "headers", egw_clone(t->a, egw_get(ot, "headers")));
				log_format(t, x, fmt, "attributes");
				if (egw_len(matches))
					egw_obj_set(t->a, x, "celMatches", egw_clone(t->a, matches));
				if (type)
					egw_obj_set(t->a, x, "logType", egw_clone(t->a, type));
				telemetry_traffic(t, epo, x, ot);
				egw_arr_push(t->a, egw_arr_ensure(t->a, out, "openTelemetry"), x);
			}
		}
	}
	egw_obj_set(t->a, xds, "accessLog", out);
}

/* Metrics switches of a fleet from the EnvoyProxy telemetry settings. */
void ir_metrics(ir_tr *t, egw_node *xds, egw_node *ep)
{
	egw_node *m = egw_path(ep, "spec.telemetry.metrics");
	if (!m)
		return;
	egw_node *x = egw_set_obj(t->a, xds, "metrics");
	static const char *keys[] = { "enableVirtualHostStats", "enablePerEndpointStats",
				      "enableRequestResponseSizesStats" };
	for (int i = 0; i < 3; i++)
		if (egw_get_bool(m, keys[i], false))
			egw_set_bool(t->a, x, keys[i], true);
}

/* Tracing of a fleet from the EnvoyProxy telemetry settings. */
void ir_tracing(ir_tr *t, ir_gw *g)
{
	egw_node *tr = egw_path(g->ep, "spec.telemetry.tracing");
	if (!tr || !g->epo)
		return;
	egw_node *prov = egw_get(tr, "provider");
	egw_node *x = egw_obj(t->a);
	const char *ptype = egw_get_str(prov, "type", "OpenTelemetry");
	const char *proto = !strcmp(ptype, "Zipkin") ? "HTTP" : "GRPC";
	egw_node *d = egw_set_obj(t->a, x, "destination");
	egw_obj_set(t->a, d, "metadata", ir_meta(t, "EnvoyProxy", g->epo->ns, g->epo->name, NULL));
	egw_set_str(t->a, d, "name", "tracing");
	egw_node *settings = egw_set_arr(t->a, d, "settings");
	const char *authority = NULL;
	egw_node *ref;
	EGW_ARR_EACH(egw_get(prov, "backendRefs"), i, ref)
	{
		egw_node *bref = egw_clone(t->a, ref);
		if (!ir_str(bref, "namespace"))
			egw_set_str(t->a, bref, "namespace", g->epo->ns);
		ir_dest_err err = { 0 };
		egw_node *ds = telemetry_setting(t, g->epo, bref, "tracing/backend/-1", g, &err);
		if (!ds)
			continue;
		telemetry_sni(t, ds);
		egw_set_str(t->a, ds, "protocol", proto);
		egw_obj_del(ds, "weight");
		if (!authority) {
			if (ir_streq(egw_text(egw_path(ds, "metadata.kind")), "Service"))
				authority = egw_sprintf(t->a, "%s.%s.svc", egw_text(egw_path(ds, "metadata.name")),
							egw_text(egw_path(ds, "metadata.namespace")));
			else if (ir_streq(egw_get_str(ds, "addressType", ""), "FQDN"))
				authority = egw_text(egw_get(egw_at(egw_get(ds, "endpoints"), 0), "host"));
		}
		egw_arr_push(t->a, settings, ds);
	}
	if (!settings->n) {
		const char *host = ir_str(prov, "host");
		int64_t port = egw_get_int(prov, "port", 0);
		egw_node *ds = egw_arr_push(t->a, settings, egw_obj(t->a));
		egw_set_str(t->a, ds, "addressType", "FQDN");
		egw_node *ep = egw_arr_push(t->a, egw_set_arr(t->a, ds, "endpoints"), egw_obj(t->a));
		egw_set_str(t->a, ep, "host", host ? host : "");
		egw_set_int(t->a, ep, "port", port);
		egw_set_str(t->a, ds, "name", "tracing/backend/-1");
		egw_set_str(t->a, ds, "protocol", proto);
		egw_set_int(t->a, ds, "weight", 1);
		authority = host;
	}
	if (authority)
		egw_set_str(t->a, x, "authority", authority);
	egw_node *pc = egw_clone(t->a, prov);
	egw_node *br;
	EGW_ARR_EACH(egw_get(pc, "backendRefs"), i, br)
	{
		if (!ir_str(br, "namespace"))
			egw_set_str(t->a, br, "namespace", g->epo->ns);
	}
	egw_obj_set(t->a, x, "provider", pc);
	egw_node *sr = egw_get(tr, "samplingRate");
	if (sr)
		egw_obj_set(t->a, x, "samplingRate", egw_clone(t->a, sr));
	else
		egw_set_int(t->a, x, "samplingRate", 100);
	/* fractions become percentages: samplingFraction, and the client and
	 * overall rates Envoy's tracing config has beside the random one */
	static const char *const fractions[][2] = {
		{ "samplingFraction", "samplingRate" },
		{ "clientSamplingFraction", "clientSamplingRate" },
		{ "overallSamplingFraction", "overallSamplingRate" },
	};
	for (size_t k = 0; k < sizeof fractions / sizeof fractions[0]; k++) {
		egw_node *sf = egw_get(tr, fractions[k][0]);
		if (!sf)
			continue;
		double num = (double)egw_get_int(sf, "numerator", 0), den = (double)egw_get_int(sf, "denominator", 100);
		egw_obj_set(t->a, x, fractions[k][1], egw_float(t->a, den ? 100.0 * num / den : 0));
	}
	if (egw_get(tr, "spanName"))
		egw_obj_set(t->a, x, "spanName", egw_clone(t->a, egw_get(tr, "spanName")));
	if (egw_get(tr, "customTags"))
		egw_obj_set(t->a, x, "customTags", egw_clone(t->a, egw_get(tr, "customTags")));
	egw_set_str(t->a, x, "serviceName",
		    t->merge_gateways ? t->class_name : egw_sprintf(t->a, "%s.%s", g->name, g->ns));
	telemetry_traffic(t, g->epo, x, prov);
	egw_obj_set(t->a, g->xds, "tracing", x);
}

/* Go's JSON decoding matches field names case-insensitively, so an
 * EnvoyProxy written with "Group" or "SignatureAlgorithms" means the
 * lowerCamelCase field.  Map-valued fields keep their keys. */
static bool free_form(const char *key)
{
	static const char *maps[] = { "labels", "annotations", "nodeSelector", "json", "attributes",
				      "resourceAttributes", "headers", "podLabels", "podAnnotations",
				      "customTags", "tags", "value", NULL };
	for (int i = 0; maps[i]; i++)
		if (!strcmp(key, maps[i]))
			return true;
	return false;
}

/* Lower-cases Go-style capitalised keys under n; with t NULL only says
 * whether there is one (and changes nothing). */
static bool normalize_keys(ir_tr *t, egw_node *n)
{
	if (!n)
		return false;
	bool found = false;
	if (n->kind == EGW_ARR) {
		egw_node *x;
		EGW_ARR_EACH(n, i, x)
		{
			found |= normalize_keys(t, x);
			if (found && !t)
				return true;
		}
		return found;
	}
	if (n->kind != EGW_OBJ)
		return false;
	for (size_t i = 0; i < n->n; i++) {
		egw_member *m = &n->c.members[i];
		const char *k = m->key;
		if (k[0] >= 'A' && k[0] <= 'Z' && k[1] >= 'a' && k[1] <= 'z') {
			if (!t)
				return true;
			size_t kl = egw_member_klen(m); /* a key may hold a NUL */
			char *lower = egw_strndup(t->a, k, kl);
			lower[0] = (char)(lower[0] - 'A' + 'a');
			egw_obj_rekey(n, i, egw_arena_intern(t->a, lower, kl));
			found = true;
		}
		if (!free_form(m->key) && normalize_keys(t, m->val)) {
			if (!t)
				return true;
			found = true;
		}
	}
	return found;
}

void ir_envoyproxy_normalize(ir_tr *t, egw_object *ep)
{
	if (ep->user)
		return;
	ep->user = ep;
	/* parsed documents shared by several translations are not changed:
	 * an EnvoyProxy with keys to fix is copied first */
	if (normalize_keys(NULL, egw_get(ep->node, "spec")))
		normalize_keys(t, egw_get(egw_object_writable(t->c, ep), "spec"));
}

/* The telemetry backendRefs of an EnvoyProxy must resolve; returns the
 * first problem or NULL. */
static const char *telemetry_ref_error(ir_tr *t, egw_object *epo, egw_node *refs)
{
	egw_node *r;
	EGW_ARR_EACH(refs, i, r)
	{
		const char *kind = egw_get_str(r, "kind", "Service");
		if (strcmp(kind, "Service"))
			continue;
		const char *ns = egw_get_str(r, "namespace", epo->ns);
		const char *name = egw_get_str(r, "name", "");
		if (!egw_res_find(t->rs, EGW_K_SERVICE, ns, name))
			return egw_sprintf(t->a, "service %s/%s not found", ns, name);
	}
	return NULL;
}

/* Validates the EnvoyProxy's telemetry backends; on a problem the Gateway
 * is not accepted (its listeners are still translated, routes do not
 * attach) and the telemetry is left out. */
bool ir_telemetry_ok(ir_tr *t, ir_gw *g)
{
	egw_node *tel = egw_path(g->ep, "spec.telemetry");
	if (!tel || !g->epo)
		return true;
	const char *err = NULL, *what = NULL;
	egw_node *s, *sink;
	EGW_ARR_EACH(egw_path(tel, "accessLog.settings"), i, s)
	{
		EGW_ARR_EACH(egw_get(s, "sinks"), j, sink)
		{
			egw_node *sub = egw_get(sink, "als");
			if (!sub)
				sub = egw_get(sink, "openTelemetry");
			if (!err && sub)
				err = telemetry_ref_error(t, g->epo, egw_get(sub, "backendRefs"));
		}
	}
	if (err)
		what = "access log";
	if (!err && (err = telemetry_ref_error(t, g->epo, egw_path(tel, "tracing.provider.backendRefs"))))
		what = "tracing";
	if (!err) {
		EGW_ARR_EACH(egw_path(tel, "metrics.sinks"), i, sink)
		{
			if (!err)
				err = telemetry_ref_error(t, g->epo, egw_path(sink, "openTelemetry.backendRefs"));
		}
		if (err)
			what = "metrics";
	}
	if (!err)
		return true;
	/* what came before the failing part is still translated */
	if (!strcmp(what, "access log")) {
		egw_obj_del(g->xds, "accessLog");
	} else {
		ir_access_log(t, g->xds, g->ep);
		if (!strcmp(what, "metrics"))
			ir_tracing(t, g);
	}
	ir_cond(t, g->conds, "Accepted", false, "InvalidParameters",
		egw_sprintf(t->a, "Invalid %s backendRefs in the referenced EnvoyProxy: %s", what, err));
	egw_obj_set(t->a, g->status, "conditions", g->conds);
	g->routes_blocked = true;
	return false;
}
