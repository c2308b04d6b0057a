// SPDX-License-Identifier: Apache-2.0

package egw

/*
#include "egw_go.h"
*/
import "C"

import (
	"fmt"
	"runtime/cgo"
	"sync"
	"unsafe"
)

// callState is what the trampolines find behind the cgo.Handle of one
// translation: the Go callbacks, the C buffers lent to libegw, and the
// callbacks' errors.
type callState struct {
	hooks [hookPointCount]Hook
	fetch Fetcher

	mu      sync.Mutex
	hookOut unsafe.Pointer // last hook answer, C memory (valid until the next hook call)
	body    unsafe.Pointer // last fetch body, C memory (valid until the next fetch)
	errs    []error
}

// CallbackError is a hook's or the fetcher's error (or panic), as recorded
// in Error.Callback.
type CallbackError struct {
	Point HookPoint // the hook point; -1 for the fetcher
	URL   string    // the URL, for the fetcher
	Err   error
	Panic any // the value recovered, when the callback panicked
}

func (e *CallbackError) Error() string {
	what := "hook " + e.Point.String()
	if e.Point < 0 {
		what = "fetch " + e.URL
	}
	if e.Panic != nil {
		return fmt.Sprintf("%s panicked: %v", what, e.Panic)
	}
	return fmt.Sprintf("%s: %v", what, e.Err)
}

func (e *CallbackError) Unwrap() error { return e.Err }

func (s *callState) record(err error) {
	s.mu.Lock()
	s.errs = append(s.errs, err)
	s.mu.Unlock()
}

func (s *callState) firstErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.errs) == 0 {
		return nil
	}
	return s.errs[0]
}

func (s *callState) allErrs() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.errs...)
}

// release frees the buffers lent to libegw; called after egw_translate
// returned.
func (s *callState) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	C.free(s.hookOut)
	C.free(s.body)
	s.hookOut, s.body = nil, nil
}

// lend copies b into C memory, freeing the previous loan in *slot: libegw
// copies an answer before it calls the same callback again.
func (s *callState) lend(slot *unsafe.Pointer, b []byte) C.egw_str {
	s.mu.Lock()
	defer s.mu.Unlock()
	C.free(*slot)
	*slot = nil
	n := len(b)
	p := C.malloc(C.size_t(n + 1))
	if p == nil {
		return C.egw_str{}
	}
	dst := unsafe.Slice((*byte)(p), n+1)
	copy(dst, b)
	dst[n] = 0
	*slot = p
	return C.egw_str{data: (*C.char)(p), len: C.size_t(n)}
}

func runHook(h Hook, p HookPoint, res, ctx []byte) (out []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &CallbackError{Point: p, Panic: v}
		}
	}()
	out, err = h(p, res, ctx)
	if err != nil {
		err = &CallbackError{Point: p, Err: err}
	}
	return out, err
}

//export egwGoHook
func egwGoHook(handle C.uintptr_t, point C.int, resource, context C.egw_str, out *C.egw_str) C.int {
	s := cgo.Handle(handle).Value().(*callState)
	p := HookPoint(point)
	if p < 0 || p >= hookPointCount || s.hooks[p] == nil {
		return -1
	}
	res, err := runHook(s.hooks[p], p, goBytes(resource), goBytes(context))
	if err != nil {
		s.record(err)
		return -1
	}
	if out != nil {
		*out = C.egw_str{}
		if res != nil {
			*out = s.lend(&s.hookOut, res)
			if out.data == nil {
				s.record(&CallbackError{Point: p, Err: ErrNoMem})
				return -1
			}
		}
	}
	return 0
}

func runFetch(f Fetcher, url string) (status int, body []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &CallbackError{Point: -1, URL: url, Panic: v}
		}
	}()
	status, body, err = f(url)
	if err != nil {
		err = &CallbackError{Point: -1, URL: url, Err: err}
	}
	return status, body, err
}

//export egwGoFetch
func egwGoFetch(handle C.uintptr_t, url C.egw_str, resp *C.egw_fetch_response) C.int {
	s := cgo.Handle(handle).Value().(*callState)
	if s.fetch == nil || resp == nil {
		return -1
	}
	u := goStr(url)
	status, body, err := runFetch(s.fetch, u)
	if err != nil {
		s.record(err)
		return -1
	}
	resp.status = C.int(status)
	resp.body = s.lend(&s.body, body)
	if resp.body.data == nil {
		s.record(&CallbackError{Point: -1, URL: u, Err: ErrNoMem})
		return -1
	}
	return 0
}
