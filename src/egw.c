/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The public API: the one file with exported definitions.  It runs the
 * stages in order (parse -> model -> ir -> xds -> emit) inside one arena and
 * turns their trees into the result the host reads.
 */
#include "egw/egw.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "emit/pb.h"
#include "emit/text.h"
#include "ir/ir.h"
#include "model/missing.h"
#include "model/resources.h"
#include "parse/parse.h"
#include "util/buf.h"
#include "util/ctx.h"
#include "xds/xds.h"

#define TYPE_URL_PREFIX "type.googleapis.com/"

struct egw_fleet {
	egw_result *r;
	const char *name;
	egw_node *xds_ir;
	egw_node *infra_ir;
	/* the resources in the order the xds stage made them (renderings show
	 * them so, as egctl does); their trees are gone once serialized, and a
	 * rendering decodes the protobuf */
	egw_resource *made[EGW_XDS_TYPE_COUNT];
	egw_resource *items[EGW_XDS_TYPE_COUNT]; /* by name, for the accessors */
	egw_node *decoded[EGW_XDS_TYPE_COUNT];   /* made[] as trees, once a rendering asked */
	size_t n[EGW_XDS_TYPE_COUNT];
	uint64_t version;
	const char *error; /* xds translation error, or NULL */
	egw_node *patch_statuses;
};

struct egw_result {
	egw_arena *arena;
	egw_ctx ctx;
	egw_options opts;
	egw_resources rs;
	bool have_rs;
	egw_fleet *fleets;
	size_t n_fleets;
	egw_status *statuses;
	egw_object **status_objs;
	size_t n_statuses;
	egw_diagnostic *diags;
	size_t n_diags;
	pthread_mutex_t lock; /* guards arena use after egw_translate returned */
	egw_map renders;      /* rendered text by request, so rendering again costs nothing */
	bool renders_init;
	unsigned generation;  /* bumped when a status changes: old renderings are stale */
	/* the parsed documents translated (egw_translate_documents): the result
	 * reads their text and nodes, so it holds a reference; NULL otherwise */
	egw_documents *docs;
};

const char *egw_strerror(int code)
{
	switch (code) {
	case EGW_OK: return "success";
	case EGW_ERROR: return "translation failed";
	case EGW_ENOMEM: return "out of memory";
	case EGW_EINVAL: return "invalid argument";
	case EGW_ELIMIT: return "input exceeds a limit";
	case EGW_EPARSE: return "no readable document in the input";
	case EGW_EHOOK: return "an extension hook failed";
	case EGW_ENOTFOUND: return "not found";
	case EGW_EVERSION: return "unsupported options version";
	case EGW_ECONFIG: return "unusable EnvoyGateway configuration";
	default: return "unknown error";
	}
}

const char *egw_version(void) { return EGW_VERSION; }

int egw_options_init(egw_options *opts, unsigned version)
{
	if (!opts)
		return EGW_EINVAL;
	if (version != EGW_OPTIONS_VERSION)
		return EGW_EVERSION;
	memset(opts, 0, sizeof *opts);
	opts->version = version;
	return EGW_OK;
}

static egw_str view(const char *s)
{
	egw_str v = { s ? s : "", s ? strlen(s) : 0 };
	return v;
}

static const char *copy_view(egw_arena *a, egw_str s, const char *def)
{
	if (!s.data)
		return def;
	return egw_strndup(a, s.data, s.len);
}

/* ---- config ---- */

static egw_node *default_config(egw_ctx *c, egw_node *cfg)
{
	egw_arena *a = c->arena;
	if (!cfg || cfg->kind != EGW_OBJ)
		cfg = egw_obj(a);
	egw_node *gw = egw_obj_ensure(a, cfg, "gateway");
	if (!egw_get_str(gw, "controllerName", NULL))
		egw_set_str(a, gw, "controllerName", "gateway.envoyproxy.io/gatewayclass-controller");
	return cfg;
}

/* Runtime flags: the options' plus the config's runtimeFlags.enabled. */
static void collect_flags(egw_ctx *c, const egw_options *o, const egw_node *cfg)
{
	size_t n = o->runtime_flags_len;
	const egw_node *en = egw_path(cfg, "runtimeFlags.enabled");
	n += egw_len(en);
	const char **f = egw_alloc(c->arena, (n + 1) * sizeof(char *));
	size_t k = 0;
	for (size_t i = 0; i < o->runtime_flags_len; i++)
		f[k++] = copy_view(c->arena, o->runtime_flags[i], "");
	egw_node *it;
	EGW_ARR_EACH(en, i, it)
	if (egw_text(it))
		f[k++] = egw_text(it);
	f[k] = NULL;
	c->runtime_flags = f;
}

/* ---- emit: one fleet's resources ---- */

static int cmp_res(const void *x, const void *y)
{
	const egw_resource *a = x, *b = y;
	size_t n = a->name.len < b->name.len ? a->name.len : b->name.len;
	int c = memcmp(a->name.data, b->name.data, n);
	if (c)
		return c;
	return a->name.len < b->name.len ? -1 : a->name.len > b->name.len;
}

/* A generated node (line 0) has no place in any input. */
static egw_pos pos_or_none(egw_pos p)
{
	if (!p.line)
		p.input = EGW_NO_INPUT;
	return p;
}

/* egw_clone shares scalars' text and keys with the original: a tree copied
 * out of an arena that goes (a fleet's xds stage) needs its text copied
 * too. */
static egw_node *own_text(egw_arena *a, egw_node *n)
{
	if (!n)
		return NULL;
	if (n->kind != EGW_ARR && n->kind != EGW_OBJ && n->str)
		n->str = egw_strndup(a, n->str, n->len);
	if (n->kind == EGW_ARR) {
		for (size_t i = 0; i < n->n; i++)
			own_text(a, n->c.items[i]);
	} else if (n->kind == EGW_OBJ) {
		for (size_t i = 0; i < n->n; i++) {
			egw_member *m = &n->c.members[i];
			egw_member_rekey(m, egw_arena_intern(a, m->key, egw_member_klen(m)));
			own_text(a, n->c.members[i].val);
		}
	}
	return n;
}

/* One line of the text the snapshot version hashes: "<type>/<name>/<version
 * as 16 hex digits>\n", written directly (formatting it was 1.6 % of a
 * translation).  The text is part of the output: the version is its xxh64. */
static void snapshot_line(egw_buf *b, int t, egw_str name, uint64_t version)
{
	char tail[19];
	tail[0] = '/';
	for (int i = 0; i < 16; i++)
		tail[1 + i] = "0123456789abcdef"[(version >> (60 - 4 * i)) & 0xf];
	tail[17] = '\n';
	egw_buf_putc(b, (char)('0' + t));
	egw_buf_putc(b, '/');
	egw_buf_put(b, name.data, name.len);
	egw_buf_put(b, tail, 18);
}

/* Serializes the xds stage's resources into the result: protobuf, names
 * and hashes in the result's arena (xc is the stage's own context, whose
 * arena goes when the fleet is done). */
static void emit_fleet(egw_result *r, egw_fleet *f, egw_ctx *xc, egw_xds_out *xo)
{
	egw_ctx *c = &r->ctx;
	egw_buf snap;
	egw_buf_init(&snap, c->arena);
	egw_pb_run_begin(c); /* the fleet's trees live until the loop ends */
	for (int t = 0; t < EGW_XDS_TYPE_COUNT; t++) {
		egw_node *arr = xo->res[t];
		size_t n = egw_len(arr);
		f->items[t] = egw_alloc(c->arena, (n ? n : 1) * sizeof(egw_resource));
		const char *type_url = egw_sprintf(c->arena, TYPE_URL_PREFIX "%s", egw_xds_type_msg[t]);
		size_t k = 0;
		egw_node *res;
		EGW_ARR_EACH(arr, i, res)
		{
			const char *name = egw_xds_resource_name((egw_xds_type)t, res);
			uint8_t *bytes = NULL;
			size_t len = 0;
			const char *err = NULL;
			if (egw_pb_encode(c, egw_xds_type_msg[t], res, &bytes, &len, &err) != 0) {
				egw_diag_at(xc, EGW_D_UNSUPPORTED, EGW_SEV_ERROR, pos_or_none(res->pos), NULL, NULL,
					    name,
					    egw_sprintf(xc->arena, "%s %s cannot be serialized: %s",
							egw_xds_type_key[t], name, err ? err : "?"));
				continue;
			}
			egw_resource *rr = &f->items[t][k];
			rr->name = view(egw_strdup(c->arena, name ? name : ""));
			rr->type_url = view(type_url);
			rr->proto.data = (const char *)bytes;
			rr->proto.len = len;
			rr->version = XXH64(bytes, len, 0);
			k++;
		}
		f->made[t] = egw_alloc_raw(c->arena, (k ? k : 1) * sizeof(egw_resource));
		memcpy(f->made[t], f->items[t], k * sizeof(egw_resource));
		qsort(f->items[t], k, sizeof(egw_resource), cmp_res);
		for (size_t i = 0; i < k; i++)
			snapshot_line(&snap, t, f->items[t][i].name, f->items[t][i].version);
		f->n[t] = k;
	}
	egw_pb_run_end(c);
	f->version = XXH64(snap.data ? snap.data : "", snap.len, 0);
	if (xo->patch_statuses)
		f->patch_statuses = own_text(c->arena, egw_clone(c->arena, xo->patch_statuses));
}

static const char *dup_or_null(egw_arena *a, const char *s) { return s ? egw_strdup(a, s) : NULL; }

/* Translates one fleet's IR to xDS in an arena of its own, serializes the
 * resources into the result, and drops the trees: a fleet's xDS trees are
 * about ten times its protobuf, and only one fleet's are alive at a time. */
static void translate_fleet(egw_result *r, egw_fleet *f)
{
	egw_arena *a = r->ctx.arena;
	egw_child *sa = egw_arena_child(a);
	egw_ctx xc = egw_ctx_in_arena(&r->ctx, sa->a);

	egw_xds_out xo;
	memset(&xo, 0, sizeof xo);
	if (egw_xds_translate(&xc, f->xds_ir, &xo) != 0) {
		f->error = egw_strdup(a, xo.error ? xo.error : "xds translation failed");
		egw_diag_at(&xc, EGW_D_REJECTED, EGW_SEV_ERROR,
			    pos_or_none(f->xds_ir ? f->xds_ir->pos : (egw_pos){ 0, 0, 0 }),
			    NULL, NULL, f->name,
			    egw_sprintf(xc.arena, "fleet %s: %s", f->name, f->error));
	}
	emit_fleet(r, f, &xc, &xo);
	/* the stage's diagnostics move to the result, in order */
	for (const egw_diag_item *d = xc.diag_head; d; d = d->next)
		egw_diag_at(&r->ctx, d->code, d->severity, d->pos, dup_or_null(a, d->kind),
			    dup_or_null(a, d->ns), dup_or_null(a, d->name), dup_or_null(a, d->message));
	egw_child_free(sa);
}

/* A fleet's resources of type t as trees, in the order they were made,
 * decoded from their protobuf into arena a. */
static egw_node *fleet_res(egw_ctx *c, const egw_fleet *cf, int t)
{
	egw_fleet *f = (egw_fleet *)cf; /* renderings run under the result's lock */
	if (f->decoded[t])
		return f->decoded[t];
	egw_arena *a = c->arena;
	egw_node *arr = egw_reserve(a, egw_arr(a), f->n[t]);
	/* the decoder's temporaries go to an arena emptied per resource */
	egw_child *tmp = egw_arena_child(a);
	for (size_t i = 0; i < f->n[t]; i++) {
		const egw_resource *rr = &f->made[t][i];
		const char *err = NULL;
		egw_node *n = egw_pb_decode_tmp(c, tmp->a, egw_xds_type_msg[t],
						(const uint8_t *)rr->proto.data, rr->proto.len, &err);
		/* the bytes are our own encoding: decoding cannot fail unless
		 * the two disagree, which the tests check resource by resource */
		egw_arr_push(a, arr, n ? n : egw_obj(a));
		egw_arena_reset(tmp->a);
	}
	egw_child_free(tmp);
	egw_arena_trim(a); /* the temporaries' huge blocks, if any, are not kept */
	f->decoded[t] = arr; /* kept for the next rendering of the fleet */
	return arr;
}

static int cmp_status(const void *x, const void *y)
{
	const egw_object *a = *(egw_object *const *)x, *b = *(egw_object *const *)y;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	int c = strcmp(a->kind_name, b->kind_name);
	if (c)
		return c;
	c = strcmp(a->ns, b->ns);
	if (c)
		return c;
	return strcmp(a->name, b->name);
}

static void collect_statuses(egw_result *r)
{
	egw_arena *a = r->ctx.arena;
	size_t n = 0;
	for (int k = 0; k < EGW_K__COUNT; k++)
		for (size_t i = 0; i < r->rs.n[k]; i++)
			n += r->rs.items[k][i]->status != NULL;
	r->status_objs = egw_alloc(a, (n ? n : 1) * sizeof(egw_object *));
	size_t j = 0;
	for (int k = 0; k < EGW_K__COUNT; k++)
		for (size_t i = 0; i < r->rs.n[k]; i++)
			if (r->rs.items[k][i]->status)
				r->status_objs[j++] = r->rs.items[k][i];
	qsort(r->status_objs, n, sizeof(egw_object *), cmp_status);
	r->statuses = egw_alloc(a, (n ? n : 1) * sizeof(egw_status));
	for (size_t i = 0; i < n; i++) {
		egw_object *o = r->status_objs[i];
		egw_status *s = &r->statuses[i];
		s->api_version = view(o->api_version);
		s->kind = view(o->kind_name);
		s->namespace_ = view(o->ns);
		s->name = view(o->name);
		/* status_json is rendered when first asked for
		 * (egw_result_status): most hosts read few of them, or the
		 * statuses through a rendering, and rendering them all was a
		 * twentieth of a translation */
	}
	r->n_statuses = n;
}

static void collect_diags(egw_result *r)
{
	egw_ctx *c = &r->ctx;
	r->diags = egw_alloc(c->arena, (c->n_diags ? c->n_diags : 1) * sizeof(egw_diagnostic));
	size_t i = 0;
	for (egw_diag_item *d = c->diag_head; d; d = d->next, i++) {
		egw_diagnostic *o = &r->diags[i];
		o->code = (egw_diag_code)d->code;
		o->severity = (egw_severity)d->severity;
		o->message = view(d->message);
		o->input = d->pos.input == EGW_NO_INPUT ? SIZE_MAX : d->pos.input;
		o->input_name = view(d->pos.input < c->n_inputs ? c->input_names[d->pos.input] : "");
		o->line = d->pos.line;
		o->column = d->pos.col;
		o->kind = view(d->kind);
		o->namespace_ = view(d->ns);
		o->name = view(d->name);
	}
	r->n_diags = i;
}

static void set_limits(egw_limits *l, const egw_limits *in)
{
	*l = *in;
	if (!l->max_input_bytes) l->max_input_bytes = (size_t)64 << 20;
	if (!l->max_documents) l->max_documents = 1000000;
	if (!l->max_depth) l->max_depth = 64;
	if (!l->max_string_bytes) l->max_string_bytes = (size_t)4 << 20;
	if (!l->max_alias_nodes) l->max_alias_nodes = 100000;
	if (!l->max_objects_per_kind) l->max_objects_per_kind = 1000000;
}

/* Runs the stages.  `o` is the caller's options: the config and runtime
 * flags are read from it here and not kept (r->opts holds arena copies of
 * everything a later call needs). */
/* Reads the configuration and translates the parsed documents `docs`
 * (positions refer to the inputs named in c->input_names; the config is the
 * last of them). */
static int translate_docs(egw_result *r, egw_node *docs, const egw_options *o)
{
	egw_ctx *c = &r->ctx;
	egw_arena *a = c->arena;

	size_t n = c->n_inputs - 1; /* the config's input index */

	egw_node *cfg = NULL;
	if (o->config.data && o->config.len) {
		if (o->config.len > c->limits.max_input_bytes) {
			egw_diag_at(c, EGW_D_LIMIT, EGW_SEV_ERROR, (egw_pos){ (uint32_t)n, 0, 0 }, NULL,
				    NULL, NULL, "the configuration exceeds the input size limit");
			return EGW_ELIMIT;
		}
		cfg = egw_parse_one(c, (uint32_t)n, o->config.data, o->config.len);
		if (!cfg || cfg->kind != EGW_OBJ) {
			/* a limit hit while reading the config is EGW_ELIMIT, as the
			 * size check above (tests/reliability/test_limits.c) */
			if (!cfg && c->diag_tail && c->diag_tail->code == EGW_D_LIMIT)
				return EGW_ELIMIT;
			if (cfg)
				egw_diag(c, EGW_D_TYPE, EGW_SEV_ERROR, cfg, NULL,
					 "the configuration must be an EnvoyGateway object");
			return EGW_ECONFIG;
		}
		const char *kind = egw_get_str(cfg, "kind", "EnvoyGateway");
		if (strcmp(kind, "EnvoyGateway") != 0) {
			egw_diag(c, EGW_D_INVALID, EGW_SEV_ERROR, egw_get(cfg, "kind"), NULL,
				 "the configuration is a %s, not an EnvoyGateway", kind);
			return EGW_ECONFIG;
		}
	}
	cfg = default_config(c, cfg);
	collect_flags(c, o, cfg);

	if (o->from == EGW_FROM_XDS_IR) {
		/* an empty IR document is an IR with nothing in it: one empty fleet */
		if (!egw_len(docs) && n)
			egw_arr_push(a, docs, egw_obj(a));
		r->n_fleets = egw_len(docs);
		r->fleets = egw_alloc(a, (r->n_fleets ? r->n_fleets : 1) * sizeof(egw_fleet));
		for (size_t i = 0; i < r->n_fleets; i++) {
			egw_fleet *f = &r->fleets[i];
			f->r = r;
			egw_node *d = egw_at(docs, i);
			f->name = egw_len(docs) == 1 ? "" : egw_sprintf(a, "%zu", i);
			if (d->pos.input < n && c->input_names[d->pos.input][0] && r->n_fleets == 1)
				f->name = c->input_names[d->pos.input];
			/* the xds stage changes the IR it reads */
			f->xds_ir = egw_frozen(d) ? egw_clone(a, d) : d;
			translate_fleet(r, f);
		}
		return EGW_OK;
	}

	/* Kubernetes objects are read-only from here, as egw_parse's documents
	 * are: the stages copy what they complete and share the rest
	 * (statuses name a route's parentRefs without copying them).  The
	 * parser froze each document already; egw_freeze skips frozen trees,
	 * so shared documents' flags are not written again. */
	egw_freeze(docs);
	egw_resources_build(c, &r->rs, docs, cfg);
	egw_resources_complete(c, &r->rs, o->add_missing_resources != 0);
	r->have_rs = true;
	if (!r->rs.n[EGW_K_GATEWAYCLASS])
		egw_diag_at(c, EGW_D_MISSING, EGW_SEV_ERROR, (egw_pos){ EGW_NO_INPUT, 0, 0 }, "GatewayClass", "",
			    "", "the GatewayClass resource is required: nothing is translated without one");
	egw_ir_out ir = { NULL, NULL };
	egw_ir_translate(c, &r->rs, &ir);
	size_t nf = egw_len(ir.xds_ir);
	r->fleets = egw_alloc(a, (nf ? nf : 1) * sizeof(egw_fleet));
	/* fleets in name order */
	if (ir.xds_ir)
		egw_obj_sort(ir.xds_ir, false);
	egw_member *m;
	EGW_OBJ_EACH(ir.xds_ir, i, m)
	{
		egw_fleet *f = &r->fleets[r->n_fleets++];
		f->r = r;
		f->name = m->key;
		f->xds_ir = m->val;
		f->infra_ir = egw_get(ir.infra_ir, m->key);
		translate_fleet(r, f);
	}
	collect_statuses(r);
	return EGW_OK;
}

/* Parses inputs[0..n) into docs; names the inputs in c (the config is
 * input n).  Returns EGW_OK, EGW_EINVAL, EGW_ELIMIT or EGW_EPARSE. */
static int parse_inputs(egw_ctx *c, const egw_input *inputs, size_t n, egw_node *docs)
{
	egw_arena *a = c->arena;
	c->n_inputs = n + 1;
	c->input_names = egw_alloc(a, (n + 1) * sizeof(char *));
	for (size_t i = 0; i < n; i++)
		c->input_names[i] = copy_view(a, inputs[i].name, "");
	c->input_names[n] = "<config>";
	size_t readable = 0, nonempty = 0;
	for (size_t i = 0; i < n; i++) {
		if (!inputs[i].data.data && inputs[i].data.len)
			return EGW_EINVAL;
		if (inputs[i].data.len > c->limits.max_input_bytes) {
			egw_diag_at(c, EGW_D_LIMIT, EGW_SEV_ERROR, (egw_pos){ (uint32_t)i, 0, 0 }, NULL,
				    NULL, NULL,
				    egw_sprintf(a, "input exceeds the size limit (%zu bytes)",
						c->limits.max_input_bytes));
			return EGW_ELIMIT;
		}
		size_t before = egw_len(docs);
		long k = egw_parse_buffer(c, (uint32_t)i, inputs[i].data.data, inputs[i].data.len, docs);
		if (k < 0)
			return EGW_ELIMIT;
		if (egw_len(docs) > before)
			readable++;
		for (size_t j = 0; j < inputs[i].data.len; j++) {
			char ch = inputs[i].data.data[j];
			if (ch != ' ' && ch != '\n' && ch != '\r' && ch != '\t') {
				nonempty++;
				break;
			}
		}
	}
	if (nonempty && !readable && c->n_diags)
		return EGW_EPARSE;
	return EGW_OK;
}

static int run(egw_result *r, const egw_input *inputs, size_t n, const egw_options *o)
{
	egw_node *docs = egw_arr(r->ctx.arena);
	/* Kubernetes objects are frozen as they are parsed (translate_docs);
	 * an IR input is the xds stage's to change */
	r->ctx.freeze_parsed = o->from != EGW_FROM_XDS_IR;
	int rc = parse_inputs(&r->ctx, inputs, n, docs);
	r->ctx.freeze_parsed = false;
	if (rc != EGW_OK)
		return rc;
	return translate_docs(r, docs, o);
}

/* Everything after the OOM point is set: an allocation failure anywhere
 * below longjmps back to egw_translate, which frees the arena. */
struct egw_documents {
	egw_arena *arena;
	egw_ctx ctx;       /* input names, limits and the parse diagnostics */
	egw_node *docs;    /* frozen: translations share them and never change them */
	int rc;            /* what parsing returned */
	/* the host's handle plus one per result translated from them: the
	 * memory goes with the last (results read the nodes, not copies) */
	atomic_size_t refs;
	/* huge blocks of freed results, for the next translation (NULL with
	 * a host allocator, or when it could not be made) */
	egw_blocks *blocks;
};

static void documents_release(egw_documents *d)
{
	if (d && atomic_fetch_sub_explicit(&d->refs, 1, memory_order_acq_rel) == 1) {
		egw_blocks *kept = d->blocks; /* outlives every result's arena */
		egw_arena_free(d->arena);
		egw_blocks_free(kept);
	}
}

static int translate_in(egw_arena *a, egw_result **out, const egw_input *inputs, size_t n,
			const egw_options *opts, const egw_documents *parsed)
{
	egw_result *r;
	r = egw_alloc(a, sizeof *r);
	r->arena = a;
	r->opts = *opts;
	r->opts.allocator = NULL; /* the arena keeps its own copy of the functions */
	egw_ctx *c = &r->ctx;
	c->arena = a;
	c->opts = &r->opts;
	set_limits(&c->limits, &opts->limits);
	c->controller_ns = copy_view(a, opts->controller_namespace, "envoy-gateway-system");
	c->ratelimit_ns = copy_view(a, opts->ratelimit_namespace, c->controller_ns);
	c->dns_domain = copy_view(a, opts->dns_domain, "cluster.local");
	c->now_unix = opts->now_unix; /* 0: no clock, no validity checks */
	/* the copied options must not point into host memory after the call */
	r->opts.config.data = NULL;
	r->opts.config.len = 0;
	r->opts.controller_namespace = view(c->controller_ns);
	r->opts.ratelimit_namespace = view(c->ratelimit_ns);
	r->opts.dns_domain = view(c->dns_domain);
	r->opts.default_namespace.data =
		opts->default_namespace.data ? copy_view(a, opts->default_namespace, "") : NULL;
	r->opts.runtime_flags = NULL;
	r->opts.runtime_flags_len = 0;
	int rc;
	if (parsed) {
		/* the documents are copied: the result must not depend on them */
		c->n_inputs = parsed->ctx.n_inputs;
		c->input_names = egw_alloc(a, c->n_inputs * sizeof(char *));
		for (size_t i = 0; i < c->n_inputs; i++)
			c->input_names[i] = egw_strdup(a, parsed->ctx.input_names[i]);
		for (egw_diag_item *d = parsed->ctx.diag_head; d; d = d->next)
			egw_diag_at(c, d->code, d->severity, d->pos, d->kind ? egw_strdup(a, d->kind) : NULL,
				    d->ns ? egw_strdup(a, d->ns) : NULL, d->name ? egw_strdup(a, d->name) : NULL,
				    egw_strdup(a, d->message));
		/* the documents are not copied: they are frozen (no stage changes
		 * them; one that must copies the object first) and the result
		 * keeps them alive.  Only the list is the result's own. */
		egw_node *docs = NULL;
		if (parsed->rc == EGW_OK) {
			docs = egw_reserve(a, egw_arr(a), egw_len(parsed->docs));
			egw_node *d;
			EGW_ARR_EACH(parsed->docs, i, d)
			egw_arr_push(a, docs, d);
		}
		rc = docs ? translate_docs(r, docs, opts) : parsed->rc;
	} else {
		rc = run(r, inputs, n, opts);
	}
	/* the huge blocks the stages' arenas gave back go back to the system:
	 * the result keeps only what it holds */
	egw_arena_trim(a);
	collect_diags(r);
	egw_arena_set_oom(a, NULL);
	/* a fail-closed hook that failed fails the call, with the result */
	for (size_t i = 0; rc == EGW_OK && i < r->n_diags; i++)
		if (r->diags[i].code == EGW_D_HOOK && r->diags[i].severity == EGW_SEV_ERROR)
			rc = EGW_EHOOK;
	if (rc != EGW_OK && rc != EGW_ELIMIT && rc != EGW_EPARSE && rc != EGW_ECONFIG &&
	    rc != EGW_EHOOK) {
		egw_arena_free(a);
		return rc;
	}
	if (pthread_mutex_init(&r->lock, NULL) != 0) {
		egw_arena_free(a);
		return EGW_ENOMEM;
	}
	if (parsed) {
		/* the caller's own handle keeps them alive until here */
		r->docs = (egw_documents *)parsed;
		atomic_fetch_add_explicit(&r->docs->refs, 1, memory_order_relaxed);
	}
	*out = r;
	return rc;
}

static int check_options(const egw_options *opts)
{
	if (opts->version != EGW_OPTIONS_VERSION)
		return EGW_EVERSION;
	if (opts->from != EGW_FROM_GATEWAY_API && opts->from != EGW_FROM_XDS_IR)
		return EGW_EINVAL;
	if (opts->allocator && (!opts->allocator->malloc || !opts->allocator->free))
		return EGW_EINVAL;
	return EGW_OK;
}

static egw_arena *new_arena(const egw_options *opts, egw_alloc_fns *fns)
{
	if (!opts->allocator)
		return egw_arena_new(NULL);
	/* By value: the host's egw_allocator struct is an option, read only
	 * during the call (egw_alloc_fns has egw_allocator's layout). */
	fns->malloc = opts->allocator->malloc;
	fns->free = opts->allocator->free;
	fns->ud = opts->allocator->ud;
	return egw_arena_new(fns);
}

/* The start every entry point shares: the options defaulted and checked,
 * and the call's arena made (fns must live as long as the arena's creation
 * call; the arena copies them). */
static int begin_call(const egw_options *opts_in, egw_options *defaults, const egw_options **opts,
		      egw_alloc_fns *fns, egw_arena **arena)
{
	egw_options_init(defaults, EGW_OPTIONS_VERSION);
	*opts = opts_in ? opts_in : defaults;
	int rc = check_options(*opts);
	if (rc != EGW_OK)
		return rc;
	memset(fns, 0, sizeof *fns);
	*arena = new_arena(*opts, fns);
	return *arena ? EGW_OK : EGW_ENOMEM;
}

/* No variable of egw_translate changes after its setjmp, so none can be
 * clobbered; gcc's -Wclobbered cannot see that. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wclobbered"
#endif
int egw_translate(egw_result **out, const egw_input *inputs, size_t n, const egw_options *opts_in)
{
	if (!out)
		return EGW_EINVAL;
	*out = NULL;
	if (n && !inputs)
		return EGW_EINVAL;
	egw_options defaults;
	const egw_options *opts;
	egw_alloc_fns fns;
	egw_arena *a;
	int rc = begin_call(opts_in, &defaults, &opts, &fns, &a);
	if (rc != EGW_OK)
		return rc;
	jmp_buf jb;
	if (setjmp(jb)) {
		egw_arena_free(a);
		return EGW_ENOMEM;
	}
	egw_arena_set_oom(a, &jb);
	return translate_in(a, out, inputs, n, opts, NULL);
}

int egw_parse(egw_documents **out, const egw_input *inputs, size_t n, const egw_options *opts_in)
{
	if (!out)
		return EGW_EINVAL;
	*out = NULL;
	if (n && !inputs)
		return EGW_EINVAL;
	egw_options defaults;
	const egw_options *opts;
	egw_alloc_fns fns;
	egw_arena *a;
	int rc = begin_call(opts_in, &defaults, &opts, &fns, &a);
	if (rc != EGW_OK)
		return rc;
	jmp_buf jb;
	if (setjmp(jb)) {
		egw_arena_free(a);
		return EGW_ENOMEM;
	}
	egw_arena_set_oom(a, &jb);
	egw_documents *d = egw_alloc(a, sizeof *d);
	d->arena = a;
	d->ctx.arena = a;
	d->ctx.opts = opts;
	set_limits(&d->ctx.limits, &opts->limits);
	d->docs = egw_arr(a);
	d->ctx.freeze_parsed = true; /* each node as it is completed */
	d->rc = parse_inputs(&d->ctx, inputs, n, d->docs);
	d->ctx.freeze_parsed = false;
	egw_freeze(d->docs);
	atomic_init(&d->refs, 1);
	d->ctx.opts = NULL; /* not kept: the caller's options die with the call */
	egw_arena_set_oom(a, NULL);
	if (d->rc == EGW_EINVAL) {
		egw_arena_free(a);
		return EGW_EINVAL;
	}
	/* each translation writes hundreds of megabytes at 100,000 routes;
	 * page faults on fresh memory were a third of the IR stage, so the
	 * next translation reuses the blocks of results already freed */
	if (!opts->allocator)
		d->blocks = egw_blocks_new();
	*out = d;
	return EGW_OK;
}

int egw_translate_documents(egw_result **out, const egw_documents *docs, const egw_options *opts_in)
{
	if (!out)
		return EGW_EINVAL;
	*out = NULL;
	if (!docs)
		return EGW_EINVAL;
	egw_options defaults;
	const egw_options *opts;
	egw_alloc_fns fns;
	egw_arena *a;
	int rc = begin_call(opts_in, &defaults, &opts, &fns, &a);
	if (rc != EGW_OK)
		return rc;
	jmp_buf jb;
	if (setjmp(jb)) {
		egw_arena_free(a);
		return EGW_ENOMEM;
	}
	egw_arena_set_oom(a, &jb);
	if (docs->blocks)
		egw_arena_use_blocks(a, docs->blocks); /* only with the system allocator */
	return translate_in(a, out, NULL, 0, opts, docs);
}

void egw_documents_free(egw_documents *d)
{
	documents_release(d);
}

size_t egw_documents_count(const egw_documents *d)
{
	return d ? egw_len(d->docs) : 0;
}

void egw_result_free(egw_result *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->lock);
	egw_documents *d = r->docs;
	egw_arena_free(r->arena);
	documents_release(d);
}

/* ---- fleets ---- */

size_t egw_result_fleet_count(const egw_result *r) { return r ? r->n_fleets : 0; }

const egw_fleet *egw_result_fleet(const egw_result *r, size_t i)
{
	if (!r || i >= r->n_fleets)
		return NULL;
	return &r->fleets[i];
}

const egw_fleet *egw_result_fleet_by_name(const egw_result *r, egw_str name)
{
	if (!r || !name.data)
		return NULL;
	for (size_t i = 0; i < r->n_fleets; i++)
		if (strlen(r->fleets[i].name) == name.len &&
		    memcmp(r->fleets[i].name, name.data, name.len) == 0)
			return &r->fleets[i];
	return NULL;
}

egw_str egw_fleet_name(const egw_fleet *f) { return view(f ? f->name : NULL); }
uint64_t egw_fleet_version(const egw_fleet *f) { return f ? f->version : 0; }
egw_str egw_fleet_error(const egw_fleet *f) { return view(f ? f->error : NULL); }

size_t egw_fleet_resource_count(const egw_fleet *f, egw_xds_type t)
{
	if (!f || (unsigned)t >= EGW_XDS_TYPE_COUNT)
		return 0;
	return f->n[t];
}

int egw_fleet_resource(const egw_fleet *f, egw_xds_type t, size_t i, egw_resource *out)
{
	if (!f || !out)
		return EGW_EINVAL;
	if ((unsigned)t >= EGW_XDS_TYPE_COUNT || i >= f->n[t])
		return EGW_ENOTFOUND;
	*out = f->items[t][i];
	return EGW_OK;
}

/* ---- rendering (after the call: under the result's lock, with an OOM point) ---- */

typedef struct render_job {
	egw_result *r;
	egw_node *(*build)(struct render_job *);
	const egw_fleet *f;
	unsigned parts, mask;
	bool redact; /* secrets are redacted (EGW_FORMAT_SHOW_SECRETS was not given) */
} render_job;

static bool is_secret_key(const char *k)
{
	static const char *const keys[] = { "privateKey", "clientSecret", "hmacSecret", "users",
					     "credential", NULL };
	for (const char *const *p = keys; *p; p++)
		if (!strcmp(k, *p))
			return true;
	return false;
}

static bool has_mark(const char *s, size_t n, const char *mark)
{
	size_t ml = strlen(mark);
	for (size_t i = 0; i + ml <= n; i++)
		if (s[i] == mark[0] && !memcmp(s + i, mark, ml))
			return true;
	return false;
}

/* True when s (text, or base64 of text) holds a PEM private key: a key
 * pasted where a certificate belongs must not be printed either. */
static bool holds_private_pem(egw_arena *a, const egw_node *v)
{
	static const char mark[] = "PRIVATE KEY-----";
	if (!v || v->kind != EGW_STR || v->len < 16)
		return false;
	const char *s = v->str;
	if (has_mark(s, v->len, mark))
		return true;
	static const char b64c[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	/* a base64 PEM key is long and all base64: most strings (names,
	 * paths) fail that test at once, before anything is allocated */
	if (v->len < 64)
		return false;
	for (size_t i = 0; i < v->len; i++) {
		char ch = s[i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		      ch == '+' || ch == '/' || ch == '=' || ch == '\n' || ch == '\r'))
			return false;
	}
	unsigned char *out = egw_alloc(a, v->len);
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < v->len; i++) {
		const char *p = s[i] ? strchr(b64c, s[i]) : NULL;
		if (!p) {
			if (s[i] == '=' || s[i] == '\n' || s[i] == '\r')
				continue;
			return false;
		}
		acc = (acc << 6) | (unsigned)(p - b64c);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return has_mark((const char *)out, o, mark);
}

/* Copy of an IR tree with secret material replaced, as Envoy Gateway dumps
 * it.  `parent` is the key n hangs under; `in_api_keys` says n is (inside)
 * apiKeyAuth.credentials, whose `key`s are the API keys themselves. */
static egw_node *redact_ir_in(egw_arena *a, const egw_node *n, const char *parent, bool in_api_keys)
{
	if (!n)
		return NULL;
	if (n->kind == EGW_ARR) {
		egw_node *o = egw_arr(a);
		for (size_t i = 0; i < n->n; i++)
			egw_arr_push(a, o, redact_ir_in(a, n->c.items[i], parent, in_api_keys));
		return o;
	}
	if (n->kind != EGW_OBJ)
		return (egw_node *)n;
	egw_node *o = egw_obj(a);
	bool api_key_auth = parent && !strcmp(parent, "apiKeyAuth");
	for (size_t i = 0; i < n->n; i++) {
		const egw_member *m = &n->c.members[i];
		egw_node *v = m->val;
		bool secret = is_secret_key(m->key) || (in_api_keys && !strcmp(m->key, "key")) ||
			      (parent && !strcmp(parent, "contextExtensions") && !strcmp(m->key, "value")) ||
			      holds_private_pem(a, v);
		/* the whole value, whatever its shape: IR input spells bytes as a
		 * list of numbers, and a mistyped object or list must not slip
		 * through (tests/reliability/test_secrets.c, "broken IR") */
		if (secret && v && v->kind != EGW_NULL)
			v = egw_nstr(a, "[redacted]");
		else
			v = redact_ir_in(a, v, m->key,
					 in_api_keys || (api_key_auth && !strcmp(m->key, "credentials")));
		egw_obj_append(a, o, m->key, egw_member_klen(m), v);
	}
	return o;
}

static egw_node *redact_ir(egw_arena *a, const egw_node *n)
{
	return redact_ir_in(a, n, NULL, false);
}

/* Secrets rendered with every inline byte string replaced. */
static egw_node *redact_secret(egw_arena *a, const egw_node *n, bool inside)
{
	if (!n)
		return NULL;
	if (n->kind == EGW_ARR) {
		egw_node *o = egw_arr(a);
		for (size_t i = 0; i < n->n; i++)
			egw_arr_push(a, o, redact_secret(a, n->c.items[i], inside));
		return o;
	}
	if (n->kind != EGW_OBJ)
		return (egw_node *)n;
	egw_node *o = egw_obj(a);
	for (size_t i = 0; i < n->n; i++) {
		const egw_member *m = &n->c.members[i];
		bool in = inside || !strcmp(m->key, "privateKey") || !strcmp(m->key, "secret") ||
			  !strcmp(m->key, "genericSecret");
		egw_node *v = m->val;
		bool empty = v && v->kind == EGW_STR && v->len == 0; /* nothing to hide */
		bool inl = !strcmp(m->key, "inlineBytes") || !strcmp(m->key, "inlineString");
		if (!in && inl && holds_private_pem(a, v))
			in = true; /* a key where a certificate belongs */
		if (in && !empty && !strcmp(m->key, "inlineBytes"))
			v = egw_nstr(a, "W3JlZGFjdGVkXQ==");
		else if (in && !empty && !strcmp(m->key, "inlineString"))
			v = egw_nstr(a, "[redacted]");
		else
			v = redact_secret(a, v, in);
		egw_obj_append(a, o, m->key, egw_member_klen(m), v);
	}
	return o;
}

/* API keys travel inline in the api_key_auth filter's config (Envoy has no
 * SDS for them) and Envoy marks them sensitive: renderings redact them as
 * Envoy's own config dump does.  Copy on write: n itself when nothing in it
 * is an API key. */
static egw_node *redact_api_keys(egw_arena *a, egw_node *n, bool in_auth)
{
	if (!n || (n->kind != EGW_OBJ && n->kind != EGW_ARR))
		return n;
	if (n->kind == EGW_ARR) {
		egw_node *o = NULL;
		for (size_t i = 0; i < n->n; i++) {
			egw_node *v = redact_api_keys(a, n->c.items[i], in_auth);
			if (v != n->c.items[i] && !o) {
				o = egw_arr(a);
				for (size_t j = 0; j < i; j++)
					egw_arr_push(a, o, n->c.items[j]);
			}
			if (o)
				egw_arr_push(a, o, v);
		}
		return o ? o : n;
	}
	const char *type = egw_get_str(n, "@type", NULL);
	if (type && (strstr(type, ".api_key_auth.v3.ApiKeyAuth")))
		in_auth = true;
	egw_node *o = NULL;
	for (size_t i = 0; i < n->n; i++) {
		const egw_member *m = &n->c.members[i];
		egw_node *v = m->val;
		if (in_auth && !strcmp(m->key, "credentials") && v && v->kind == EGW_ARR) {
			egw_node *cs = egw_arr(a);
			egw_node *c;
			EGW_ARR_EACH(v, k, c)
			{
				egw_node *cc = c;
				if (c && c->kind == EGW_OBJ && egw_get(c, "key")) {
					cc = egw_obj(a);
					egw_member *cm;
					EGW_OBJ_EACH(c, q, cm)
					egw_obj_append(a, cc, cm->key, egw_member_klen(cm),
						       strcmp(cm->key, "key") ? cm->val : egw_nstr(a, "[redacted]"));
				}
				egw_arr_push(a, cs, cc);
			}
			v = cs;
		} else {
			v = redact_api_keys(a, v, in_auth);
		}
		if (v != m->val && !o) {
			o = egw_obj(a);
			for (size_t j = 0; j < i; j++)
				egw_obj_append(a, o, n->c.members[j].key, egw_member_klen(&n->c.members[j]),
					       n->c.members[j].val);
		}
		if (o)
			egw_obj_append(a, o, m->key, egw_member_klen(m), v);
	}
	return o ? o : n;
}

/* One resource as a rendering shows it. */
static egw_node *rendered_resource(egw_arena *a, egw_xds_type t, egw_node *res, bool redact)
{
	if (!redact)
		return res;
	if (t == EGW_XDS_SECRET)
		return redact_secret(a, res, false);
	if (t == EGW_XDS_LISTENER || t == EGW_XDS_ROUTE)
		return redact_api_keys(a, res, false);
	return res;
}

static egw_node *fleet_xds_node(egw_arena *a, const egw_fleet *f, unsigned mask, bool redact)
{
	egw_node *o = egw_obj(a);
	for (int t = 0; t < EGW_XDS_TYPE_COUNT; t++) {
		if (mask && !(mask & (1u << t)))
			continue;
		egw_node *arr = egw_set_arr(a, o, egw_xds_type_key[t]);
		egw_node *res;
		EGW_ARR_EACH(fleet_res(&f->r->ctx, f, t), i, res)
		egw_arr_push(a, arr, rendered_resource(a, (egw_xds_type)t, res, redact));
	}
	/* the statuses the IR's EnvoyPatchPolicies got while patching */
	if (egw_len(f->patch_statuses))
		egw_obj_set(a, o, "envoyPatchPolicies", f->patch_statuses);
	return o;
}

static const char *render_text(egw_arena *a, const egw_node *n, egw_format fmt)
{
	if (fmt == EGW_FORMAT_YAML)
		return egw_to_yaml(a, n);
	return egw_to_json(a, n, fmt == EGW_FORMAT_JSON);
}

static egw_node *build_fleet_xds(render_job *j) { return fleet_xds_node(j->r->arena, j->f, j->mask, j->redact); }
static egw_node *build_fleet_ir(render_job *j) { return redact_ir(j->r->arena, j->f->xds_ir); }
static egw_node *build_fleet_infra(render_job *j) { return j->f->infra_ir; }
static egw_node *build_fleet_ratelimit(render_job *j)
{
	return egw_xds_ratelimit_config(&j->r->ctx, j->f->xds_ir);
}

/* Envoy's admin config dump for one fleet, in the shape and order egctl
 * prints it: endpoints, clusters, listeners, routes (secrets only when asked
 * for by type, as egctl's "all" has none).  One type alone is printed as its
 * own dump, several as a ConfigDump. */
static egw_node *config_dump(egw_ctx *c, const egw_fleet *f, unsigned mask, bool redact)
{
	egw_arena *a = c->arena;
	static const egw_xds_type order[] = { EGW_XDS_ENDPOINT, EGW_XDS_CLUSTER, EGW_XDS_LISTENER,
					      EGW_XDS_ROUTE, EGW_XDS_SECRET };
	static const char *const dump_type[EGW_XDS_TYPE_COUNT] = {
		"envoy.admin.v3.ListenersConfigDump", "envoy.admin.v3.RoutesConfigDump",
		"envoy.admin.v3.ClustersConfigDump", "envoy.admin.v3.EndpointsConfigDump",
		"envoy.admin.v3.SecretsConfigDump",
	};
	static const char *const list_key[EGW_XDS_TYPE_COUNT] = {
		"dynamicListeners", "dynamicRouteConfigs", "dynamicActiveClusters",
		"dynamicEndpointConfigs", "dynamicActiveSecrets",
	};
	static const char *const item_key[EGW_XDS_TYPE_COUNT] = {
		"listener", "routeConfig", "cluster", "endpointConfig", "secret",
	};
	if (!mask)
		mask = ((1u << EGW_XDS_TYPE_COUNT) - 1 - (1u << EGW_XDS_SECRET)) | EGW_RENDER_BOOTSTRAP;
	bool single = (mask & (mask - 1)) == 0;
	egw_node *configs = egw_arr(a);
	if (mask & EGW_RENDER_BOOTSTRAP) {
		egw_node *d = egw_obj(a);
		egw_set_str(a, d, "@type", TYPE_URL_PREFIX "envoy.admin.v3.BootstrapConfigDump");
		egw_obj_set(a, d, "bootstrap", egw_xds_bootstrap(c));
		if (single)
			return d;
		egw_arr_push(a, configs, d);
	}
	for (size_t oi = 0; oi < sizeof order / sizeof order[0]; oi++) {
		egw_xds_type t = order[oi];
		if (!(mask & (1u << t)))
			continue;
		egw_node *d = egw_obj(a);
		egw_set_str(a, d, "@type", egw_sprintf(a, TYPE_URL_PREFIX "%s", dump_type[t]));
		egw_node *lst = egw_set_arr(a, d, list_key[t]);
		egw_node *res;
		EGW_ARR_EACH(fleet_res(c, f, t), i, res)
		{
			egw_node *body = rendered_resource(a, t, res, redact);
			egw_node *typed = egw_obj(a);
			egw_set_str(a, typed, "@type", egw_sprintf(a, TYPE_URL_PREFIX "%s", egw_xds_type_msg[t]));
			egw_member *m;
			EGW_OBJ_EACH(body, k, m)
			egw_obj_append(a, typed, m->key, egw_member_klen(m), m->val);
			egw_node *item = egw_obj(a);
			if (t == EGW_XDS_LISTENER) {
				egw_obj_set(a, egw_set_obj(a, item, "activeState"), item_key[t], typed);
			} else {
				if (t == EGW_XDS_SECRET)
					egw_set_str(a, item, "name", egw_xds_resource_name(t, res));
				egw_obj_set(a, item, item_key[t], typed);
			}
			egw_arr_push(a, lst, item);
		}
		if (single)
			return d; /* one type: its dump alone */
		egw_arr_push(a, configs, d);
	}
	egw_node *all = egw_obj(a); /* egctl prints the ConfigDump itself, not as an Any */
	egw_obj_set(a, all, "configs", configs);
	return all;
}

static const char *const single_keys[] = { "gatewayClass", "envoyProxyForGatewayClass", NULL };

static bool is_single_key(const char *k)
{
	for (const char *const *p = single_keys; *p; p++)
		if (!strcmp(*p, k))
			return true;
	return false;
}

static egw_node *build_result(render_job *j)
{
	egw_result *r = j->r;
	egw_arena *a = r->arena;
	egw_node *doc = egw_obj(a);
	if ((j->parts & (EGW_RENDER_GATEWAY_API | EGW_RENDER_RESOURCES)) && r->have_rs) {
		/* EGW_RENDER_RESOURCES alone: the GatewayClass without its
		 * acceptance, which egctl reports only with the gateway-api output */
		bool class_status = (j->parts & EGW_RENDER_GATEWAY_API) != 0;
		for (int k = 0; k < EGW_K__COUNT; k++) {
			for (size_t i = 0; i < r->rs.n[k]; i++) {
				egw_object *o = r->rs.items[k][i];
				if (!o->status)
					continue;
				const char *key = o->out_key ? o->out_key : egw_kind_info_of(o->kind)->out_key;
				if (!key)
					continue;
				egw_node *obj = egw_obj(a);
				egw_member *m;
				EGW_OBJ_EACH(o->node, q, m)
				if (strcmp(m->key, "status"))
					egw_obj_append(a, obj, m->key, egw_member_klen(m), m->val);
				if (class_status || o->kind != EGW_K_GATEWAYCLASS)
					egw_obj_set(a, obj, "status", o->status);
				if (is_single_key(key)) {
					egw_obj_set(a, doc, key, obj);
				} else {
					egw_arr_push(a, egw_arr_ensure(a, doc, key), obj);
				}
			}
		}
	}
	if (j->parts & EGW_RENDER_IR) {
		egw_node *x = egw_set_obj(a, doc, "xdsIR");
		egw_node *inf = egw_set_obj(a, doc, "infraIR");
		for (size_t i = 0; i < r->n_fleets; i++) {
			const egw_fleet *f = &r->fleets[i];
			egw_obj_set(a, x, f->name, redact_ir(a, f->xds_ir));
			if (f->infra_ir)
				egw_obj_set(a, inf, f->name, f->infra_ir);
		}
	}
	if (j->parts & EGW_RENDER_XDS) {
		egw_node *x = egw_set_obj(a, doc, "xds");
		for (size_t i = 0; i < r->n_fleets; i++)
			egw_obj_set(a, x, r->fleets[i].name, config_dump(&r->ctx, &r->fleets[i], j->mask, j->redact));
	}
	return doc;
}

static int render(render_job *j, egw_format fmt_flags, egw_str *out)
{
	egw_result *r = j->r;
	j->redact = ((unsigned)fmt_flags & EGW_FORMAT_SHOW_SECRETS) == 0;
	egw_format fmt = (egw_format)((unsigned)fmt_flags & ~(unsigned)EGW_FORMAT_SHOW_SECRETS);
	if ((unsigned)fmt > EGW_FORMAT_YAML)
		return EGW_EINVAL;
	pthread_mutex_lock(&r->lock);
	jmp_buf jb;
	if (setjmp(jb)) {
		egw_arena_set_oom(r->arena, NULL);
		pthread_mutex_unlock(&r->lock);
		return EGW_ENOMEM;
	}
	egw_arena_set_oom(r->arena, &jb);
	if (!r->renders_init) {
		egw_map_init(&r->renders, r->arena);
		r->renders_init = true;
	}
	/* the same request gives the same text: render once, so a long-lived
	 * result does not grow with every call */
	char key[128];
	snprintf(key, sizeof key, "%p/%p/%u/%u/%d/%d/%u", (void *)(uintptr_t)j->build, (const void *)j->f,
		 j->parts, j->mask, (int)fmt, (int)j->redact, r->generation);
	const char *s = egw_map_get(&r->renders, key);
	if (!s) {
		s = render_text(r->arena, j->build(j), fmt);
		egw_map_put(&r->renders, key, (void *)s);
	}
	egw_arena_set_oom(r->arena, NULL);
	pthread_mutex_unlock(&r->lock);
	*out = view(s);
	return EGW_OK;
}

int egw_fleet_render_xds(const egw_fleet *f, unsigned type_mask, egw_format fmt, egw_str *out)
{
	if (!f || !out)
		return EGW_EINVAL;
	render_job j = { f->r, build_fleet_xds, f, 0, type_mask, false };
	return render(&j, fmt, out);
}

int egw_fleet_render_xds_ir(const egw_fleet *f, egw_format fmt, egw_str *out)
{
	if (!f || !out)
		return EGW_EINVAL;
	render_job j = { f->r, build_fleet_ir, f, 0, 0, false };
	return render(&j, fmt, out);
}

int egw_fleet_render_infra_ir(const egw_fleet *f, egw_format fmt, egw_str *out)
{
	if (!f || !out)
		return EGW_EINVAL;
	if (!f->infra_ir)
		return EGW_ENOTFOUND;
	render_job j = { f->r, build_fleet_infra, f, 0, 0, false };
	return render(&j, fmt, out);
}

int egw_fleet_render_ratelimit(const egw_fleet *f, egw_format fmt, egw_str *out)
{
	if (!f || !out)
		return EGW_EINVAL;
	render_job j = { f->r, build_fleet_ratelimit, f, 0, 0, false };
	return render(&j, fmt, out);
}

int egw_result_render(const egw_result *r, unsigned parts, unsigned type_mask, egw_format fmt,
		      egw_str *out)
{
	if (!r || !out)
		return EGW_EINVAL;
	render_job j = { (egw_result *)r, build_result, NULL, parts, type_mask, false };
	return render(&j, fmt, out);
}

/* ---- statuses and diagnostics ---- */

size_t egw_result_status_count(const egw_result *r) { return r ? r->n_statuses : 0; }

int egw_result_status(const egw_result *r, size_t i, egw_status *out)
{
	if (!r || !out)
		return EGW_EINVAL;
	if (i >= r->n_statuses)
		return EGW_ENOTFOUND;
	egw_result *w = (egw_result *)r; /* the lock and the lazy text only */
	pthread_mutex_lock(&w->lock);
	egw_status *s = &w->statuses[i];
	if (!s->status_json.data) {
		jmp_buf jb;
		if (setjmp(jb)) {
			egw_arena_set_oom(w->arena, NULL);
			pthread_mutex_unlock(&w->lock);
			return EGW_ENOMEM;
		}
		egw_arena_set_oom(w->arena, &jb);
		s->status_json = view(egw_to_json(w->arena, w->status_objs[i]->status, false));
		egw_arena_set_oom(w->arena, NULL);
	}
	*out = *s;
	pthread_mutex_unlock(&w->lock);
	return EGW_OK;
}

size_t egw_result_diagnostic_count(const egw_result *r) { return r ? r->n_diags : 0; }

int egw_result_diagnostic(const egw_result *r, size_t i, egw_diagnostic *out)
{
	if (!r || !out)
		return EGW_EINVAL;
	if (i >= r->n_diags)
		return EGW_ENOTFOUND;
	*out = r->diags[i];
	return EGW_OK;
}

/* ---- Gateway conditions from infrastructure state ---- */

static egw_node *find_cond(egw_node *conds, const char *type)
{
	egw_node *c;
	EGW_ARR_EACH(conds, i, c)
	if (!strcmp(egw_get_str(c, "type", ""), type))
		return c;
	return NULL;
}

static void put_cond(egw_arena *a, egw_node *conds, const char *type, bool ok, const char *reason,
		     const char *msg, int64_t gen)
{
	egw_node *c = find_cond(conds, type);
	if (!c)
		c = egw_arr_push(a, conds, egw_obj(a));
	egw_set_str(a, c, "type", type);
	egw_set_str(a, c, "status", ok ? "True" : "False");
	egw_set_str(a, c, "reason", reason);
	egw_set_str(a, c, "message", msg);
	egw_obj_set(a, c, "lastTransitionTime", egw_null(a));
	if (gen)
		egw_set_int(a, c, "observedGeneration", gen);
}

int egw_result_set_gateway_infra(egw_result *r, const egw_gateway_infra *infra)
{
	if (!r || !infra || !infra->name.data)
		return EGW_EINVAL;
	if (!r->have_rs)
		return EGW_ENOTFOUND;
	egw_object *gw = NULL;
	for (size_t i = 0; i < r->rs.n[EGW_K_GATEWAY]; i++) {
		egw_object *o = r->rs.items[EGW_K_GATEWAY][i];
		if (strlen(o->name) == infra->name.len && !memcmp(o->name, infra->name.data, infra->name.len) &&
		    strlen(o->ns) == infra->namespace_.len &&
		    (!infra->namespace_.len || !memcmp(o->ns, infra->namespace_.data, infra->namespace_.len))) {
			gw = o;
			break;
		}
	}
	if (!gw || !gw->status)
		return EGW_ENOTFOUND;
	pthread_mutex_lock(&r->lock);
	jmp_buf jb;
	if (setjmp(jb)) {
		egw_arena_set_oom(r->arena, NULL);
		pthread_mutex_unlock(&r->lock);
		return EGW_ENOMEM;
	}
	egw_arena *a = r->arena;
	egw_arena_set_oom(a, &jb);
	int64_t gen = egw_get_int(egw_get(gw->node, "metadata"), "generation", 0);
	/* Work on a copy, swapped in once everything is allocated: an OOM
	 * part-way then leaves the status as it was (all or nothing). */
	egw_node *status = egw_clone(a, gw->status);
	egw_node *conds = egw_arr_ensure(a, status, "conditions");
	egw_node *acc = find_cond(conds, "Accepted");
	bool accepted = !acc || strcmp(egw_get_str(acc, "status", "True"), "False") != 0;
	if (!acc)
		put_cond(a, conds, "Accepted", true, "Accepted", "The Gateway has been scheduled by Envoy Gateway", gen);
	egw_node *addrs = egw_arr(a);
	for (size_t i = 0; i < infra->addresses_len; i++) {
		egw_str s = infra->addresses[i];
		egw_node *ad = egw_obj(a);
		/* as net.ParseIP decides: "cafe.de" is a hostname */
		char txt[INET6_ADDRSTRLEN + 1];
		unsigned char bin[sizeof(struct in6_addr)];
		bool ip = false;
		if (s.len < sizeof txt) {
			memcpy(txt, s.data, s.len);
			txt[s.len] = 0;
			ip = inet_pton(AF_INET, txt, bin) == 1 || inet_pton(AF_INET6, txt, bin) == 1;
		}
		egw_set_str(a, ad, "type", ip ? "IPAddress" : "Hostname");
		egw_obj_set(a, ad, "value", egw_strn(a, s.data, s.len));
		egw_arr_push(a, addrs, ad);
	}
	egw_obj_set(a, status, "addresses", addrs);
	if (!egw_len(addrs))
		put_cond(a, conds, "Programmed", false, "AddressNotAssigned",
			 "No addresses have been assigned to the Gateway", gen);
	else if (!infra->ready)
		put_cond(a, conds, "Programmed", false, "NoResources",
			 "Deployment replicas unavailable", gen);
	else if (accepted)
		put_cond(a, conds, "Programmed", true, "Programmed", "Address assigned to the Gateway, 1/1 envoy replicas available", gen);
	/* the flat status view is rendered again when next asked for */
	gw->status = status;
	for (size_t i = 0; i < r->n_statuses; i++)
		if (r->status_objs[i] == gw)
			r->statuses[i].status_json = (egw_str){ NULL, 0 };
	r->generation++; /* renderings made before show the old status */
	egw_arena_set_oom(a, NULL);
	pthread_mutex_unlock(&r->lock);
	return EGW_OK;
}
