/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The IR stage (Envoy Gateway's internal/gatewayapi): the resource set in,
 * per proxy fleet an xDS IR and an infra IR out, and a status on every
 * object the translation looked at.  The IR is an egw_node tree in exactly
 * the shape Envoy Gateway dumps it (the `xdsIR` / `infraIR` of the goldens),
 * which is also what the xds stage reads.
 */
#ifndef EGW_IR_IR_H
#define EGW_IR_IR_H

#include "../model/resources.h"

typedef struct egw_ir_out {
	egw_node *xds_ir;   /* OBJ: fleet name -> xDS IR */
	egw_node *infra_ir; /* OBJ: fleet name -> infra IR */
} egw_ir_out;

/* Translates rs (rs->config is the EnvoyGateway configuration).  Sets
 * egw_object.status on the objects that get one. */
void egw_ir_translate(egw_ctx *c, egw_resources *rs, egw_ir_out *out);

#endif
