/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SecurityPolicy: authentication and authorization on the IR routes of its
 * targets (security of an IR route).
 */
#include <string.h>

#include "policy.h"

static const char *sp_build(pol_ctx *pc, ir_pol *p, void **feat)
{
	(void)pc;
	(void)p;
	*feat = NULL;
	return NULL;
}

static void sp_apply(pol_ctx *pc, ir_pol *p, void *feat, const char *err, pol_irroute *ir)
{
	(void)pc;
	(void)p;
	(void)feat;
	(void)err;
	(void)ir;
}

static bool sp_is_set(pol_irroute *ir)
{
	return egw_get(ir->route, "security") != NULL;
}

void ir_policy_security(pol_ctx *pc)
{
	static const pol_kind_ops ops = {
		.kind = EGW_K_SECURITYPOLICY,
		.name = "SecurityPolicy",
		.plural = "securityPolicies",
		.rule_plural = "securityPolicies",
		.build = sp_build,
		.apply = sp_apply,
		.is_set = sp_is_set,
		.mergeable = true,
	};
	pol_drive(pc, &ops);
}
