/* SPDX-License-Identifier: Apache-2.0 */
/* Route translation state shared by route.c and filters.c. */
#ifndef EGW_IR_ROUTE_H
#define EGW_IR_ROUTE_H

#include "internal.h"

typedef struct rparent {
	egw_node *pref;
	egw_node *anc; /* a copy of pref (the BackendTLSPolicy ancestor) */
	egw_node *st;    /* parents[] entry */
	egw_node *conds;
	ir_gw *g;
	ir_lis **ls;     /* allowed listeners */
	size_t nls;
} rparent;

typedef struct rctx {
	egw_object *o;
	const char *kind;     /* "HTTPRoute" ... */
	const char *prefix;   /* "httproute" ... */
	rparent *ps;
	size_t nps;
} rctx;

/* ---- error collection (grouped by condition type, like the reference) ---- */
typedef struct rerr {
	const char *type;
	egw_buf reasons;
	egw_buf msgs;
	size_t n;
} rerr;

typedef struct rerrs {
	rerr e[4];
	size_t n;
} rerrs;

typedef struct filt {
	egw_node *add_req, *rm_req, *add_resp, *rm_resp;
	egw_node *redirect, *rewrite, *direct, *mirrors;
	egw_node *cors, *cred, *matches, *ext_refs;
	bool failed, mirror_failed;
} filt;

const char *ir_cond_msg(ir_tr *t, const char *m);
/* Adds msg as a sentence (capital first letter, final period) ... */
void ir_err_add(ir_tr *t, rerrs *es, const char *type, const char *reason, const char *msg);
/* ... or as written. */
void ir_err_add_raw(ir_tr *t, rerrs *es, const char *type, const char *reason, const char *msg);
void ir_process_filters(ir_tr *t, rctx *r, egw_node *filters, size_t ri, filt *f, rerrs *es);
void ir_apply_filters(ir_tr *t, egw_node *x, filt *f);
egw_node *ir_backend_filters(ir_tr *t, rctx *r, egw_node *filters, const char **err,
			     const char **reason);

#endif
