// SPDX-License-Identifier: Apache-2.0

// Package egw is the Go binding of libegw: Kubernetes Gateway API and Envoy
// Gateway resources in, Envoy xDS out, as one pure function.
//
// Translate runs libegw's egw_translate on YAML or JSON buffers and returns a
// Result: per proxy fleet the xDS resources (serialized protobuf, each with
// its xxh64 version), the status of every input object and diagnostics for
// everything rejected or skipped.  Everything read from a Result is copied
// into Go memory, so values stay valid after Close.
//
// The package links libegw through pkg-config (`#cgo pkg-config: libegw`).
// Point PKG_CONFIG_PATH at an install prefix (PREFIX/lib/pkgconfig, or
// PREFIX/lib/x86_64-linux-gnu/pkgconfig on Debian) or, for an uninstalled
// build tree, at a libegw.pc written for it (see README.md and run-tests.sh;
// build/meson-private/libegw.pc is the file `meson install` will install and
// names the install prefix, not the build tree).
//
// Concurrency: distinct translations may run on many goroutines at once;
// one Result may be read from many goroutines (renderings are serialised
// inside libegw).  Close waits for reads in progress.
//
// This package depends on nothing but the standard library; package egwxds
// (its own module) turns fleets into go-control-plane types and snapshots.
package egw

/*
#cgo pkg-config: libegw
#include "egw_go.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"runtime/cgo"
	"strings"
	"sync"
	"time"
	"unsafe"
)

func strerror(code int) string { return C.GoString(C.egw_strerror(C.int(code))) }

// Version returns the libegw version linked in ("MAJOR.MINOR.PATCH").
func Version() string { return C.GoString(C.egw_version()) }

// Limits on hostile input; 0 in a field means libegw's default.
type Limits struct {
	MaxInputBytes     int // per buffer; default 64 MiB
	MaxDocuments      int // across all buffers; default 1,000,000
	MaxDepth          int // nesting of one document; default 64
	MaxStringBytes    int // one scalar; default 4 MiB
	MaxAliasNodes     int // nodes produced by YAML aliases; default 100,000
	MaxObjectsPerKind int // default 1,000,000
}

// Hook is an extension hook (Envoy Gateway's extension server hooks).
// resource is the xDS resource in Envoy's canonical JSON and context a JSON
// object with the hook's context.  Return nil to keep the resource, or new
// JSON to replace it.  An error, or a panic, fails the hook: libegw then
// keeps the resource when Options.HooksFailOpen is set and otherwise fails
// the translation with ErrHook (Error.Callback holds the hook's error).
// The byte slices are the hook's own copies.
type Hook func(point HookPoint, resource, context []byte) ([]byte, error)

// Fetcher fetches a URL for libegw (OIDC issuer discovery, remote JWKS).
// Return an HTTP-like status and the body, or an error for "could not
// fetch".  A panic counts as an error.
type Fetcher func(url string) (status int, body []byte, err error)

// Options of Translate; the zero value (or a nil *Options) is libegw's
// defaults.  The allocator of egw_options is not exposed: Go hosts use
// libegw's default (malloc).
type Options struct {
	// From says what the inputs are: Gateway API resources (the default) or
	// xDS IR documents.
	From From
	// Config is the EnvoyGateway configuration (YAML or JSON); empty means
	// the defaults.
	Config []byte
	// ControllerNamespace is the namespace the control plane runs in; nil
	// means "envoy-gateway-system", a pointer to "" the empty namespace
	// (egctl's behaviour).  Use Ptr("ns") to set it.
	ControllerNamespace *string
	// DefaultNamespace is given to namespaced objects without one (egctl's
	// -n); nil keeps them in the empty namespace.
	DefaultNamespace *string
	// RatelimitNamespace is the namespace of the global rate limit service;
	// nil means the controller namespace.
	RatelimitNamespace *string
	// DNSDomain for Service FQDNs; "" means "cluster.local".
	DNSDomain string
	// RuntimeFlags to enable (XDSNameSchemeV2, ...), besides the config's.
	RuntimeFlags []string
	// AddMissingResources adds a GatewayClass, Namespaces, and
	// EndpointSlices for Services with ClusterIPs where the input lacks them
	// (egctl --add-missing-resources).
	AddMissingResources bool
	// Now is the time at which certificates must be valid; the zero time
	// means no clock: validity windows are not checked (pass time.Now() to
	// refuse expired certificates as Envoy Gateway does).
	Now time.Time
	// Limits on hostile input.
	Limits Limits
	// Hooks are the extension hooks, by hook point; nil entries are skipped.
	Hooks map[HookPoint]Hook
	// HooksFailOpen keeps a resource unchanged when its hook fails.
	HooksFailOpen bool
	// Fetcher, when set, lets libegw fetch URLs; without it libegw fetches
	// nothing.
	Fetcher Fetcher
}

// Ptr returns a pointer to s, for the *string fields of Options.
func Ptr(s string) *string { return &s }

// Input is one named input buffer: YAML (one or more documents) or JSON,
// `kind: List` too.  Name is used in diagnostics.
type Input struct {
	Name string
	Data []byte
}

// Translate translates the buffers (YAML or JSON) under opts (nil means the
// defaults).  See TranslateInputs.
func Translate(inputs [][]byte, opts *Options) (*Result, error) {
	in := make([]Input, len(inputs))
	for i, b := range inputs {
		in[i].Data = b
	}
	return TranslateInputs(in, opts)
}

// TranslateInputs translates named inputs under opts (nil means the
// defaults).  It returns a Result also when parts of the input were rejected
// (see Result.Diagnostics and Result.Statuses).  When libegw fails the call
// it returns a nil Result and an *Error whose Code is one of the Err*
// sentinels (errors.Is(err, egw.ErrLimit), ...); for ErrLimit, ErrParse and
// ErrConfig the Error carries the diagnostics saying why.  The inputs are
// only read during the call.
func TranslateInputs(inputs []Input, opts *Options) (*Result, error) {
	var a cargs
	defer a.free()
	cin, err := a.inputs(inputs)
	if err != nil {
		return nil, err
	}
	copts, err := a.options(opts)
	if err != nil {
		return nil, err
	}
	var cr *C.egw_result
	rc := C.egw_translate(&cr, cin, C.size_t(len(inputs)), copts)
	return a.result("translate", rc, cr)
}

// cargs holds what one call lends to libegw: pinned Go buffers, C copies
// of small strings, and the callbacks' state behind a cgo.Handle.
type cargs struct {
	pin   runtime.Pinner
	cfree []unsafe.Pointer
	st    *callState
	h     cgo.Handle
}

func (a *cargs) free() {
	if a.st != nil {
		a.st.release()
		a.h.Delete()
	}
	a.pin.Unpin()
	for _, p := range a.cfree {
		C.free(p)
	}
}

func (a *cargs) calloc(n int, size C.size_t) (unsafe.Pointer, error) {
	p := C.calloc(C.size_t(n), size)
	if p == nil {
		return nil, &Error{Code: ErrNoMem, Op: "translate"}
	}
	a.cfree = append(a.cfree, p)
	return p, nil
}

func (a *cargs) cstr(s string) C.egw_str {
	p := C.CString(s)
	a.cfree = append(a.cfree, unsafe.Pointer(p))
	return C.egw_str{data: p, len: C.size_t(len(s))}
}

// cbytes lends a (big) buffer to libegw: pinned, not copied.
func (a *cargs) cbytes(b []byte) C.egw_str {
	if len(b) == 0 {
		return C.egw_str{}
	}
	a.pin.Pin(&b[0])
	return C.egw_str{data: (*C.char)(unsafe.Pointer(&b[0])), len: C.size_t(len(b))}
}

func (a *cargs) inputs(inputs []Input) (*C.egw_input, error) {
	if len(inputs) == 0 {
		return nil, nil
	}
	p, err := a.calloc(len(inputs), C.sizeof_egw_input)
	if err != nil {
		return nil, err
	}
	cin := (*C.egw_input)(p)
	arr := unsafe.Slice(cin, len(inputs))
	for i, in := range inputs {
		if in.Name != "" {
			arr[i].name = a.cstr(in.Name)
		}
		arr[i].data = a.cbytes(in.Data)
		if len(in.Data) == 0 {
			arr[i].data = a.cstr("") // a valid pointer with length 0
		}
	}
	return cin, nil
}

// options converts opts to a C egw_options (nil for nil: the defaults).
func (a *cargs) options(opts *Options) (*C.egw_options, error) {
	if opts == nil {
		return nil, nil
	}
	p, err := a.calloc(1, C.sizeof_egw_options)
	if err != nil {
		return nil, err
	}
	copts := (*C.egw_options)(p)
	if rc := C.egw_options_init(copts, OptionsVersion); rc != 0 {
		return nil, &Error{Code: Code(rc), Op: "options"}
	}
	copts.from = C.egw_from(opts.From)
	copts.config = a.cbytes(opts.Config)
	if opts.ControllerNamespace != nil {
		copts.controller_namespace = a.cstr(*opts.ControllerNamespace)
	}
	if opts.DefaultNamespace != nil {
		copts.default_namespace = a.cstr(*opts.DefaultNamespace)
	}
	if opts.RatelimitNamespace != nil {
		copts.ratelimit_namespace = a.cstr(*opts.RatelimitNamespace)
	}
	if opts.DNSDomain != "" {
		copts.dns_domain = a.cstr(opts.DNSDomain)
	}
	if n := len(opts.RuntimeFlags); n > 0 {
		p, err := a.calloc(n, C.sizeof_egw_str)
		if err != nil {
			return nil, err
		}
		flags := (*C.egw_str)(p)
		fa := unsafe.Slice(flags, n)
		for i, f := range opts.RuntimeFlags {
			fa[i] = a.cstr(f)
		}
		copts.runtime_flags = flags
		copts.runtime_flags_len = C.size_t(n)
	}
	if opts.AddMissingResources {
		copts.add_missing_resources = 1
	}
	if !opts.Now.IsZero() {
		copts.now_unix = C.int64_t(opts.Now.Unix())
	}
	l := opts.Limits
	copts.limits = C.egw_limits{
		max_input_bytes:      C.size_t(nonneg(l.MaxInputBytes)),
		max_documents:        C.size_t(nonneg(l.MaxDocuments)),
		max_depth:            C.size_t(nonneg(l.MaxDepth)),
		max_string_bytes:     C.size_t(nonneg(l.MaxStringBytes)),
		max_alias_nodes:      C.size_t(nonneg(l.MaxAliasNodes)),
		max_objects_per_kind: C.size_t(nonneg(l.MaxObjectsPerKind)),
	}
	if opts.HooksFailOpen {
		copts.hooks_fail_open = 1
	}
	var mask C.uint
	st := &callState{fetch: opts.Fetcher}
	for p, h := range opts.Hooks {
		if h == nil {
			continue
		}
		if p < 0 || p >= hookPointCount {
			return nil, &Error{Code: ErrInvalid, Op: fmt.Sprintf("translate: unknown hook point %d", int(p))}
		}
		st.hooks[p] = h
		mask |= 1 << uint(p)
	}
	if mask != 0 || st.fetch != nil {
		a.st = st
		a.h = cgo.NewHandle(st)
		fetch := C.int(0)
		if st.fetch != nil {
			fetch = 1
		}
		C.egw_go_install(copts, C.uintptr_t(a.h), mask, fetch)
	}
	return copts, nil
}

// result wraps what egw_translate / egw_translate_documents returned.
func (a *cargs) result(op string, rc C.int, cr *C.egw_result) (*Result, error) {
	if rc != 0 {
		e := &Error{Code: Code(rc), Op: op}
		if a.st != nil {
			e.Callback = a.st.firstErr()
		}
		if cr != nil {
			e.Diagnostics = diagnostics(cr)
			C.egw_result_free(cr)
		}
		return nil, e
	}
	r := newResult(cr)
	if a.st != nil {
		r.cbErrors = a.st.allErrs()
	}
	return r, nil
}

// Documents are parsed inputs that many translations can share: a host that
// keeps its objects and re-translates on every change parses once and
// translates as often as it likes (each translation reads the documents in
// place and never changes them).  Several goroutines may translate from one
// Documents at once.  Close frees it (a finalizer does so too: like a
// Result, Documents own their libegw memory); Results made from it keep
// what they read, so Close may come first.
type Documents struct {
	mu sync.RWMutex
	c  *C.egw_documents
}

// Parse parses inputs under opts' limits (nil: the defaults).  Documents
// that cannot be read are reported in every later result's diagnostics; a
// limit hit or unreadable input is reported by Translate, as Translate
// would.  Errors: ErrInvalid, ErrVersion, ErrNoMem.
func Parse(inputs []Input, opts *Options) (*Documents, error) {
	var a cargs
	defer a.free()
	cin, err := a.inputs(inputs)
	if err != nil {
		return nil, err
	}
	copts, err := a.options(opts)
	if err != nil {
		return nil, err
	}
	var cd *C.egw_documents
	if rc := C.egw_parse(&cd, cin, C.size_t(len(inputs)), copts); rc != 0 {
		return nil, &Error{Code: Code(rc), Op: "parse"}
	}
	d := &Documents{c: cd}
	runtime.SetFinalizer(d, (*Documents).Close)
	return d, nil
}

// Len is the number of documents parsed (before `kind: List` expansion).
func (d *Documents) Len() int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.c == nil {
		return 0
	}
	return int(C.egw_documents_count(d.c))
}

// Translate translates the documents under opts (nil: the defaults); it
// returns as TranslateInputs.
func (d *Documents) Translate(opts *Options) (*Result, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.c == nil {
		return nil, &Error{Code: ErrClosed, Op: "translate"}
	}
	var a cargs
	defer a.free()
	copts, err := a.options(opts)
	if err != nil {
		return nil, err
	}
	var cr *C.egw_result
	rc := C.egw_translate_documents(&cr, d.c, copts)
	return a.result("translate", rc, cr)
}

// Close frees the documents; results already translated stay valid.  It is
// idempotent and always returns nil.
func (d *Documents) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.c != nil {
		C.egw_documents_free(d.c)
		d.c = nil
		runtime.SetFinalizer(d, nil)
	}
	return nil
}

func nonneg(n int) int {
	if n < 0 {
		return 0
	}
	return n
}

// Error is a failed libegw call.  errors.Is(err, egw.ErrLimit) and the like
// test its Code; errors.Is/As also reach the hook or fetcher error that made
// the translation fail (Callback).
type Error struct {
	Code Code
	// Op is the call that failed ("translate", "render", ...).
	Op string
	// Diagnostics say why, where libegw gives them (ErrLimit, ErrParse,
	// ErrConfig).
	Diagnostics []Diagnostic
	// Callback is the first error (or panic) of a hook or the fetcher
	// during the call, if any.
	Callback error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("egw: ")
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.Code.Error())
	for _, d := range e.Diagnostics {
		if d.Severity == SevError {
			b.WriteString(": ")
			b.WriteString(d.String())
			break
		}
	}
	if e.Callback != nil {
		b.WriteString(": ")
		b.WriteString(e.Callback.Error())
	}
	return b.String()
}

// Unwrap gives errors.Is and errors.As the code and the callback error.
func (e *Error) Unwrap() []error {
	if e.Callback != nil {
		return []error{e.Code, e.Callback}
	}
	return []error{e.Code}
}

func goStr(s C.egw_str) string {
	if s.data == nil || s.len == 0 {
		return ""
	}
	return C.GoStringN(s.data, C.int(s.len))
}

// goBytes copies a view into Go memory (no 2 GiB limit, unlike C.GoBytes).
func goBytes(s C.egw_str) []byte {
	if s.data == nil {
		return nil
	}
	b := make([]byte, int(s.len))
	copy(b, unsafe.Slice((*byte)(unsafe.Pointer(s.data)), int(s.len)))
	return b
}
