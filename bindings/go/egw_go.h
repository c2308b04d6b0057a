/* SPDX-License-Identifier: Apache-2.0 */
/*
 * C side of the Go binding: the callbacks libegw calls (hooks, fetcher) are
 * C functions here that forward to Go functions exported with //export.  The
 * `ud` pointers libegw hands back carry a cgo.Handle value, never a Go
 * pointer, so C memory holds no Go pointer past a call.
 */
#ifndef EGW_GO_H
#define EGW_GO_H

#include <stdint.h>
#include <stdlib.h>

#include <egw/egw.h>

/* Installs the trampolines: hooks[i] for every bit i set in mask, and the
 * fetcher when fetch is non-zero; `handle` is a cgo.Handle value. */
void egw_go_install(egw_options *o, uintptr_t handle, unsigned hook_mask, int fetch);

/* Calls the hook or fetcher installed in *o as libegw would (for tests of
 * the trampolines, whatever the library currently calls). */
int egw_go_call_hook(const egw_options *o, int point, egw_str resource, egw_str context,
		     egw_str *out);
int egw_go_call_fetch(const egw_options *o, egw_str url, egw_fetch_response *resp);

#endif
