// SPDX-License-Identifier: Apache-2.0

package egw

/*
#include "egw_go.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// Result is one translation.  It owns libegw's egw_result; Close frees it,
// and a finalizer does so for a Result that is dropped without Close.
// Fleets keep their Result alive.  All methods are safe for concurrent use.
type Result struct {
	mu       sync.RWMutex // read: any use of c; write: Close, SetGatewayInfra
	c        *C.egw_result
	cbErrors []error
}

func newResult(c *C.egw_result) *Result {
	r := &Result{c: c}
	runtime.SetFinalizer(r, (*Result).Close)
	return r
}

// Close frees the libegw result.  Values already read (fleets' resources,
// statuses, renderings) stay valid; later calls return ErrClosed or empty
// answers.  Close is idempotent and always returns nil.
func (r *Result) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.c != nil {
		C.egw_result_free(r.c)
		r.c = nil
		runtime.SetFinalizer(r, nil)
	}
	return nil
}

// CallbackErrors returns the errors and panics of hooks and the fetcher
// during the translation (with HooksFailOpen, or fetch failures, the
// translation succeeds and these say what went wrong on the Go side).
func (r *Result) CallbackErrors() []error { return append([]error(nil), r.cbErrors...) }

// Fleets returns the proxy fleets in name order (one per Gateway, or per
// GatewayClass when gateways are merged).
func (r *Result) Fleets() []*Fleet {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.c == nil {
		return nil
	}
	n := int(C.egw_result_fleet_count(r.c))
	out := make([]*Fleet, 0, n)
	for i := 0; i < n; i++ {
		if f := C.egw_result_fleet(r.c, C.size_t(i)); f != nil {
			out = append(out, r.fleet(f))
		}
	}
	return out
}

// Fleet returns the fleet named name ("<namespace>/<gateway>" or the class
// name), or nil.
func (r *Result) Fleet(name string) *Fleet {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.c == nil {
		return nil
	}
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	f := C.egw_result_fleet_by_name(r.c, C.egw_str{data: cs, len: C.size_t(len(name))})
	if f == nil {
		return nil
	}
	return r.fleet(f)
}

func (r *Result) fleet(f *C.egw_fleet) *Fleet {
	return &Fleet{
		Name:    goStr(C.egw_fleet_name(f)),
		Version: uint64(C.egw_fleet_version(f)),
		Error:   goStr(C.egw_fleet_error(f)),
		r:       r,
		c:       f,
	}
}

// Status is the status libegw computed for one input object.
type Status struct {
	APIVersion, Kind, Namespace, Name string
	// JSON is the object's .status as compact JSON.
	JSON []byte
}

// Statuses returns the objects that carry a status, sorted by kind,
// namespace and name.
func (r *Result) Statuses() []Status {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.c == nil {
		return nil
	}
	n := int(C.egw_result_status_count(r.c))
	out := make([]Status, 0, n)
	for i := 0; i < n; i++ {
		var s C.egw_status
		if C.egw_result_status(r.c, C.size_t(i), &s) != 0 {
			continue
		}
		out = append(out, Status{
			APIVersion: goStr(s.api_version),
			Kind:       goStr(s.kind),
			Namespace:  goStr(s.namespace_),
			Name:       goStr(s.name),
			JSON:       goBytes(s.status_json),
		})
	}
	return out
}

// Diagnostic is one problem in the input, with where it is.
type Diagnostic struct {
	Code      DiagCode
	Severity  Severity
	Message   string
	Input     int // index into the inputs of Translate; -1 when it concerns no input
	InputName string
	Line      int // 1-based; 0 = no position
	Column    int
	// The object concerned, when there is one.
	Kind, Namespace, Name string
}

func (d Diagnostic) String() string {
	where := d.InputName
	if where == "" {
		where = fmt.Sprintf("input %d", d.Input)
	}
	if d.Line > 0 {
		where += fmt.Sprintf(":%d:%d", d.Line, d.Column)
	}
	obj := ""
	if d.Kind != "" || d.Name != "" {
		obj = " " + d.Kind + " "
		if d.Namespace != "" {
			obj += d.Namespace + "/"
		}
		obj += d.Name + ":"
	}
	return fmt.Sprintf("%s: %s [%s]:%s %s", where, d.Severity, d.Code, obj, d.Message)
}

// Diagnostics returns everything libegw rejected, ignored or noted.
func (r *Result) Diagnostics() []Diagnostic {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.c == nil {
		return nil
	}
	return diagnostics(r.c)
}

func diagnostics(c *C.egw_result) []Diagnostic {
	n := int(C.egw_result_diagnostic_count(c))
	out := make([]Diagnostic, 0, n)
	for i := 0; i < n; i++ {
		var d C.egw_diagnostic
		if C.egw_result_diagnostic(c, C.size_t(i), &d) != 0 {
			continue
		}
		out = append(out, Diagnostic{
			Code:      DiagCode(d.code),
			Severity:  Severity(d.severity),
			Message:   goStr(d.message),
			Input:     int(d.input),
			InputName: goStr(d.input_name),
			Line:      int(d.line),
			Column:    int(d.column),
			Kind:      goStr(d.kind),
			Namespace: goStr(d.namespace_),
			Name:      goStr(d.name),
		})
	}
	return out
}

func typeMask(types []XDSType) C.uint {
	var m C.uint
	for _, t := range types {
		m |= 1 << uint(t)
	}
	return m
}

// Render renders the parts (RenderGatewayAPI|RenderIR|RenderXDS) as one
// document shaped like `egctl x translate` output; types restricts the xDS
// part (nil means all types).  Private keys are redacted.
func (r *Result) Render(parts RenderPart, types []XDSType, format Format) ([]byte, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.c == nil {
		return nil, &Error{Code: ErrClosed, Op: "render"}
	}
	var s C.egw_str
	if rc := C.egw_result_render(r.c, C.uint(parts), typeMask(types), C.egw_format(format), &s); rc != 0 {
		return nil, &Error{Code: Code(rc), Op: "render"}
	}
	return goBytes(s), nil
}

// GatewayInfra is what the host's infrastructure knows about one Gateway's
// proxy.
type GatewayInfra struct {
	Namespace, Name string
	// Addresses assigned to the proxy's Service (IPs or hostnames).
	Addresses []string
	// Ready is true when at least one proxy replica is ready.
	Ready bool
}

// SetGatewayInfra completes a Gateway's status from infrastructure state as
// Envoy Gateway's provider does (status.addresses, Accepted, Programmed).
// It returns an *Error with ErrNotFound when the result has no such Gateway.
func (r *Result) SetGatewayInfra(infra GatewayInfra) error {
	r.mu.Lock() // the status views change: no reader may hold them meanwhile
	defer r.mu.Unlock()
	if r.c == nil {
		return &Error{Code: ErrClosed, Op: "set gateway infra"}
	}
	var cfree []unsafe.Pointer
	defer func() {
		for _, p := range cfree {
			C.free(p)
		}
	}()
	cstr := func(s string) C.egw_str {
		p := C.CString(s)
		cfree = append(cfree, unsafe.Pointer(p))
		return C.egw_str{data: p, len: C.size_t(len(s))}
	}
	ci := (*C.egw_gateway_infra)(C.calloc(1, C.sizeof_egw_gateway_infra))
	if ci == nil {
		return &Error{Code: ErrNoMem, Op: "set gateway infra"}
	}
	cfree = append(cfree, unsafe.Pointer(ci))
	ci.namespace_ = cstr(infra.Namespace)
	ci.name = cstr(infra.Name)
	if n := len(infra.Addresses); n > 0 {
		addrs := (*C.egw_str)(C.calloc(C.size_t(n), C.sizeof_egw_str))
		if addrs == nil {
			return &Error{Code: ErrNoMem, Op: "set gateway infra"}
		}
		cfree = append(cfree, unsafe.Pointer(addrs))
		a := unsafe.Slice(addrs, n)
		for i, s := range infra.Addresses {
			a[i] = cstr(s)
		}
		ci.addresses = addrs
		ci.addresses_len = C.size_t(n)
	}
	if infra.Ready {
		ci.ready = 1
	}
	if rc := C.egw_result_set_gateway_infra(r.c, ci); rc != 0 {
		return &Error{Code: Code(rc), Op: "set gateway infra " + infra.Namespace + "/" + infra.Name}
	}
	return nil
}

// Fleet is one proxy fleet of a Result: its xDS resources and renderings.
// A Fleet keeps its Result alive; after the Result is closed its methods
// return nothing (or ErrClosed).
type Fleet struct {
	// Name is "<namespace>/<gateway>" or the GatewayClass name.
	Name string
	// Version is the snapshot version: xxh64 over all resources' names and
	// versions.
	Version uint64
	// Error is the xds stage's error for this fleet ("" when it translated);
	// the resources translated before the error are still there.
	Error string

	r *Result
	c *C.egw_fleet
}

// VersionString is Version as 16 hex digits (the snapshot version egwxds
// uses).
func (f *Fleet) VersionString() string { return fmt.Sprintf("%016x", f.Version) }

// Resource is one xDS resource, copied into Go memory.
type Resource struct {
	Name    string
	TypeURL string // "type.googleapis.com/envoy.config.listener.v3.Listener", ...
	Proto   []byte // the serialized protobuf (never redacted)
	Version uint64 // xxh64 of Proto
}

// VersionString is Version as 16 hex digits.
func (r Resource) VersionString() string { return fmt.Sprintf("%016x", r.Version) }

// ResourceCount returns the number of resources of type t.
func (f *Fleet) ResourceCount(t XDSType) int {
	f.r.mu.RLock()
	defer f.r.mu.RUnlock()
	if f.r.c == nil {
		return 0
	}
	return int(C.egw_fleet_resource_count(f.c, C.egw_xds_type(t)))
}

// Resources returns the fleet's resources of type t, sorted by name, each
// with its own copy of the protobuf bytes.
func (f *Fleet) Resources(t XDSType) []Resource {
	f.r.mu.RLock()
	defer f.r.mu.RUnlock()
	if f.r.c == nil || t < 0 || t >= XDSTypeCount {
		return nil
	}
	n := int(C.egw_fleet_resource_count(f.c, C.egw_xds_type(t)))
	out := make([]Resource, 0, n)
	for i := 0; i < n; i++ {
		var res C.egw_resource
		if C.egw_fleet_resource(f.c, C.egw_xds_type(t), C.size_t(i), &res) != 0 {
			continue
		}
		out = append(out, Resource{
			Name:    goStr(res.name),
			TypeURL: goStr(res.type_url),
			Proto:   goBytes(res.proto),
			Version: uint64(res.version),
		})
	}
	return out
}

func (f *Fleet) render(op string, fn func(*C.egw_str) C.int) ([]byte, error) {
	f.r.mu.RLock()
	defer f.r.mu.RUnlock()
	if f.r.c == nil {
		return nil, &Error{Code: ErrClosed, Op: op}
	}
	var s C.egw_str
	if rc := fn(&s); rc != 0 {
		return nil, &Error{Code: Code(rc), Op: op + " " + f.Name}
	}
	return goBytes(s), nil
}

// RenderXDS renders the resources of the given types (nil means all) in
// Envoy's canonical JSON, as
// {"listeners":[...],"routes":[...],"clusters":[...],"endpoints":[...],"secrets":[...]};
// private keys are redacted.
func (f *Fleet) RenderXDS(types []XDSType, format Format) ([]byte, error) {
	return f.render("render xds", func(s *C.egw_str) C.int {
		return C.egw_fleet_render_xds(f.c, typeMask(types), C.egw_format(format), s)
	})
}

// RenderXDSIR renders the fleet's xDS IR as Envoy Gateway dumps it.
func (f *Fleet) RenderXDSIR(format Format) ([]byte, error) {
	return f.render("render xds ir", func(s *C.egw_str) C.int {
		return C.egw_fleet_render_xds_ir(f.c, C.egw_format(format), s)
	})
}

// RenderInfraIR renders the fleet's infra IR; ErrNotFound when it has none.
func (f *Fleet) RenderInfraIR(format Format) ([]byte, error) {
	return f.render("render infra ir", func(s *C.egw_str) C.int {
		return C.egw_fleet_render_infra_ir(f.c, C.egw_format(format), s)
	})
}

// RenderRatelimit renders the global rate limit service configuration
// derived from the fleet (an empty list without global rate limits).
func (f *Fleet) RenderRatelimit(format Format) ([]byte, error) {
	return f.render("render ratelimit", func(s *C.egw_str) C.int {
		return C.egw_fleet_render_ratelimit(f.c, C.egw_format(format), s)
	})
}
