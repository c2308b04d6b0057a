// SPDX-License-Identifier: Apache-2.0
#include "egw_go.h"

#include "_cgo_export.h"

static int hook_tramp(void *ud, egw_hook_point point, egw_str resource, egw_str context,
		      egw_str *out)
{
	return egwGoHook((uintptr_t)ud, (int)point, resource, context, out);
}

static int fetch_tramp(void *ud, egw_str url, egw_fetch_response *resp)
{
	return egwGoFetch((uintptr_t)ud, url, resp);
}

void egw_go_install(egw_options *o, uintptr_t handle, unsigned hook_mask, int fetch)
{
	for (int i = 0; i < 5; i++)
		o->hooks[i] = (hook_mask & (1u << i)) ? hook_tramp : NULL;
	o->hooks_ud = (void *)handle;
	o->fetch = fetch ? fetch_tramp : NULL;
	o->fetch_ud = fetch ? (void *)handle : NULL;
}

int egw_go_call_hook(const egw_options *o, int point, egw_str resource, egw_str context,
		     egw_str *out)
{
	if (point < 0 || point > 4 || !o->hooks[point])
		return EGW_EINVAL;
	return o->hooks[point](o->hooks_ud, (egw_hook_point)point, resource, context, out);
}

int egw_go_call_fetch(const egw_options *o, egw_str url, egw_fetch_response *resp)
{
	if (!o->fetch)
		return EGW_EINVAL;
	return o->fetch(o->fetch_ud, url, resp);
}
