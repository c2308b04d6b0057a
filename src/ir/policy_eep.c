/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EnvoyExtensionPolicy: ext_proc, Lua, Wasm and dynamic modules on the IR
 * routes of its targets (envoyExtensions of an IR route).
 */
#include <string.h>

#include "policy.h"

static const char *eep_build(pol_ctx *pc, ir_pol *p, void **feat)
{
	(void)pc;
	(void)p;
	*feat = NULL;
	return NULL;
}

static void eep_apply(pol_ctx *pc, ir_pol *p, void *feat, const char *err, pol_irroute *ir)
{
	(void)pc;
	(void)p;
	(void)feat;
	(void)err;
	(void)ir;
}

static bool eep_is_set(pol_irroute *ir)
{
	return egw_get(ir->route, "envoyExtensions") != NULL;
}

void ir_policy_eep(pol_ctx *pc)
{
	static const pol_kind_ops ops = {
		.kind = EGW_K_ENVOYEXTENSIONPOLICY,
		.name = "EnvoyExtensionPolicy",
		.plural = "envoyExtensionPolicies",
		.rule_plural = "envoyExtensionPolicies",
		.build = eep_build,
		.apply = eep_apply,
		.is_set = eep_is_set,
		.mergeable = false,
	};
	pol_drive(pc, &ops);
}
