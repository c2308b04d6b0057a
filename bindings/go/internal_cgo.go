// SPDX-License-Identifier: Apache-2.0

package egw

// What the tests need from C (cgo is not allowed in _test.go files): the
// header's enum values, and a way to call the trampolines as libegw does.

/*
#include "egw_go.h"
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// cEnums maps each C enumerator to its value as the compiler sees it.
func cEnums() map[string]int64 {
	return map[string]int64{
		"EGW_OK": C.EGW_OK, "EGW_ERROR": C.EGW_ERROR, "EGW_ENOMEM": C.EGW_ENOMEM,
		"EGW_EINVAL": C.EGW_EINVAL, "EGW_ELIMIT": C.EGW_ELIMIT, "EGW_EPARSE": C.EGW_EPARSE,
		"EGW_EHOOK": C.EGW_EHOOK, "EGW_ENOTFOUND": C.EGW_ENOTFOUND,
		"EGW_EVERSION": C.EGW_EVERSION, "EGW_ECONFIG": C.EGW_ECONFIG,

		"EGW_FROM_GATEWAY_API": C.EGW_FROM_GATEWAY_API, "EGW_FROM_XDS_IR": C.EGW_FROM_XDS_IR,

		"EGW_HOOK_POST_ROUTE": C.EGW_HOOK_POST_ROUTE, "EGW_HOOK_POST_VIRTUAL_HOST": C.EGW_HOOK_POST_VIRTUAL_HOST,
		"EGW_HOOK_POST_HTTP_LISTENER": C.EGW_HOOK_POST_HTTP_LISTENER,
		"EGW_HOOK_POST_CLUSTER":       C.EGW_HOOK_POST_CLUSTER, "EGW_HOOK_POST_TRANSLATE": C.EGW_HOOK_POST_TRANSLATE,
		"EGW_HOOK_POST_ENDPOINTS": C.EGW_HOOK_POST_ENDPOINTS, "EGW_HOOK_POINT_COUNT": C.EGW_HOOK_POINT_COUNT,

		"EGW_XDS_LISTENER": C.EGW_XDS_LISTENER, "EGW_XDS_ROUTE": C.EGW_XDS_ROUTE,
		"EGW_XDS_CLUSTER": C.EGW_XDS_CLUSTER, "EGW_XDS_ENDPOINT": C.EGW_XDS_ENDPOINT,
		"EGW_XDS_SECRET": C.EGW_XDS_SECRET, "EGW_XDS_TYPE_COUNT": C.EGW_XDS_TYPE_COUNT,

		"EGW_FORMAT_JSON": C.EGW_FORMAT_JSON, "EGW_FORMAT_JSON_COMPACT": C.EGW_FORMAT_JSON_COMPACT,
		"EGW_FORMAT_YAML": C.EGW_FORMAT_YAML, "EGW_FORMAT_SHOW_SECRETS": C.EGW_FORMAT_SHOW_SECRETS,

		"EGW_SEV_ERROR": C.EGW_SEV_ERROR, "EGW_SEV_WARNING": C.EGW_SEV_WARNING, "EGW_SEV_INFO": C.EGW_SEV_INFO,

		"EGW_D_SYNTAX": C.EGW_D_SYNTAX, "EGW_D_UNKNOWN_KIND": C.EGW_D_UNKNOWN_KIND,
		"EGW_D_UNKNOWN_FIELD": C.EGW_D_UNKNOWN_FIELD, "EGW_D_TYPE": C.EGW_D_TYPE,
		"EGW_D_MISSING": C.EGW_D_MISSING, "EGW_D_LIMIT": C.EGW_D_LIMIT,
		"EGW_D_DUPLICATE": C.EGW_D_DUPLICATE, "EGW_D_INVALID": C.EGW_D_INVALID,
		"EGW_D_REJECTED": C.EGW_D_REJECTED, "EGW_D_UNSUPPORTED": C.EGW_D_UNSUPPORTED,
		"EGW_D_HOOK": C.EGW_D_HOOK,

		"EGW_RENDER_GATEWAY_API": C.EGW_RENDER_GATEWAY_API, "EGW_RENDER_IR": C.EGW_RENDER_IR,
		"EGW_RENDER_XDS": C.EGW_RENDER_XDS, "EGW_RENDER_RESOURCES": C.EGW_RENDER_RESOURCES, "EGW_RENDER_BOOTSTRAP": C.EGW_RENDER_BOOTSTRAP,

		"EGW_OPTIONS_VERSION": C.EGW_OPTIONS_VERSION,
	}
}

// callViaC installs st's trampolines in a C egw_options and calls the hook
// at point (or the fetcher, for point -1) through libegw's function
// pointers, the way the library calls them.
func callViaC(st *callState, point HookPoint, resource, context []byte) (rc int, out []byte, status int) {
	o := (*C.egw_options)(C.calloc(1, C.sizeof_egw_options))
	defer C.free(unsafe.Pointer(o))
	C.egw_options_init(o, OptionsVersion)
	var mask C.uint
	for i, h := range st.hooks {
		if h != nil {
			mask |= 1 << uint(i)
		}
	}
	h := cgo.NewHandle(st)
	defer h.Delete()
	defer st.release()
	fetch := C.int(0)
	if st.fetch != nil {
		fetch = 1
	}
	C.egw_go_install(o, C.uintptr_t(h), mask, fetch)
	res := C.CBytes(append(resource, 0))
	defer C.free(res)
	ctx := C.CBytes(append(context, 0))
	defer C.free(ctx)
	rs := C.egw_str{data: (*C.char)(res), len: C.size_t(len(resource))}
	cs := C.egw_str{data: (*C.char)(ctx), len: C.size_t(len(context))}
	if point < 0 {
		var resp C.egw_fetch_response
		rc = int(C.egw_go_call_fetch(o, rs, &resp))
		return rc, goBytes(resp.body), int(resp.status)
	}
	var cout C.egw_str
	rc = int(C.egw_go_call_hook(o, C.int(point), rs, cs, &cout))
	return rc, goBytes(cout), 0
}
