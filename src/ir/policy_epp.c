/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EnvoyPatchPolicy: JSON patches carried in the fleet's IR for the xds stage
 * to apply.  The target is a Gateway, or the GatewayClass when gateways are
 * merged into one fleet.  The IR entry shares the policy's status node so
 * the xds stage's verdicts land on the policy.
 */
#include <string.h>

#include "policy.h"

void ir_policy_epp(pol_ctx *pc)
{
	ir_tr *t = pc->t;
	bool enabled = egw_node_bool(egw_path(t->rs->config, "extensionApis.enableEnvoyPatchPolicy"), false);
	egw_object *o;
	EGW_RES_EACH(t->rs, EGW_K_ENVOYPATCHPOLICY, i, o)
	{
		egw_node *tr = egw_path(o->node, "spec.targetRef");
		const char *rg = egw_get_str(tr, "group", ""), *rk = egw_get_str(tr, "kind", ""),
			   *rn = egw_get_str(tr, "name", "");
		ir_pol p;
		pol_init(pc, &p, o, "EnvoyPatchPolicy");
		egw_node *ref = egw_obj(t->a);
		const char *irkey, *want;
		egw_set_str(t->a, ref, "group", GW_GROUP);
		if (t->merge_gateways) {
			egw_set_str(t->a, ref, "kind", "GatewayClass");
			egw_set_str(t->a, ref, "name", rn);
			irkey = rn;
			want = "GatewayClass";
		} else {
			egw_set_str(t->a, ref, "kind", "Gateway");
			egw_set_str(t->a, ref, "name", rn);
			egw_set_str(t->a, ref, "namespace", o->ns);
			irkey = egw_sprintf(t->a, "%s/%s", o->ns, rn);
			want = "Gateway";
		}
		egw_node *fleet = egw_get(t->out->xds_ir, irkey);
		if (!fleet) {
			if (t->merge_gateways) {
				pol_cond(pc, &p, ref, "Accepted", false, "Invalid",
					 egw_sprintf(t->a,
						     "TargetRef.Group:%s TargetRef.Kind:%s TargetRef.Namespace:%s TargetRef.Name:%s not found or not accepted (MergeGateways=true).",
						     rg, rk, o->ns, rn));
			}
			pol_finish(pc, &p);
			continue;
		}
		egw_node *st = egw_obj(t->a);
		o->status = st;
		egw_node *x = egw_obj(t->a);
		int64_t gen;
		if (egw_node_int(egw_path(o->node, "metadata.generation"), &gen) && gen)
			egw_set_int(t->a, x, "generation", gen);
		if (enabled) {
			egw_node *jp = egw_set_arr(t->a, x, "jsonPatches");
			egw_node *patch;
			EGW_ARR_EACH(egw_path(o->node, "spec.jsonPatches"), k, patch)
			egw_arr_push(t->a, jp, egw_clone(t->a, patch));
		}
		egw_set_str(t->a, x, "name", o->name);
		egw_set_str(t->a, x, "namespace", o->ns);
		egw_obj_set(t->a, x, "status", st);
		egw_arr_push(t->a, egw_arr_ensure(t->a, fleet, "envoyPatchPolicies"), x);
		if (!enabled) {
			pol_cond(pc, &p, ref, "Accepted", false, "Disabled",
				 "EnvoyPatchPolicy is disabled in the EnvoyGateway configuration");
		} else if (strcmp(rk, want) || strcmp(rg, GW_GROUP)) {
			pol_cond(pc, &p, ref, "Accepted", false, "Invalid",
				 egw_sprintf(t->a,
					     "TargetRef.Group:%s TargetRef.Kind:%s, only TargetRef.Group:%s TargetRef.Kind:%s is supported.",
					     rg, rk, GW_GROUP, want));
		} else {
			pol_accepted(pc, &p, ref);
		}
		if (p.ancestors->n)
			egw_obj_set(t->a, st, "ancestors", p.ancestors);
	}
}
