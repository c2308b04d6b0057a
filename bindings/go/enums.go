// SPDX-License-Identifier: Apache-2.0

package egw

import "fmt"

// The values below are libegw's enums, written out so that they are Go
// constants (usable in switch cases and without cgo); enums_test.go checks
// every one against the C header.

// Code is a libegw return code (egw_error).  Negative codes are errors and
// implement error, so the Err* constants below are sentinels for errors.Is.
type Code int

const (
	OK          Code = 0     // EGW_OK
	ErrFailed   Code = -1    // EGW_ERROR: generic failure; see the diagnostics
	ErrNoMem    Code = -2    // EGW_ENOMEM
	ErrInvalid  Code = -3    // EGW_EINVAL: a bad argument
	ErrLimit    Code = -4    // EGW_ELIMIT: the input exceeds a limit in Limits
	ErrParse    Code = -5    // EGW_EPARSE: no input buffer could be read at all
	ErrHook     Code = -6    // EGW_EHOOK: an extension hook failed and fail-closed is set
	ErrNotFound Code = -7    // EGW_ENOTFOUND: index or name out of range
	ErrVersion  Code = -8    // EGW_EVERSION: options struct version not supported
	ErrConfig   Code = -9    // EGW_ECONFIG: the EnvoyGateway configuration is unusable
	ErrClosed   Code = -1000 // Go only: the Result was closed
)

// Error returns libegw's description of the code (egw_strerror).
func (c Code) Error() string {
	if c == ErrClosed {
		return "the result is closed"
	}
	return strerror(int(c))
}

// From says which half of the pipeline the inputs feed (egw_from).
type From int

const (
	FromGatewayAPI From = 0 // Kubernetes resources (the normal case)
	FromXDSIR      From = 1 // one Envoy Gateway xDS IR document per input document
)

// HookPoint is an extension hook point (egw_hook_point).
type HookPoint int

const (
	HookPostRoute        HookPoint = 0
	HookPostVirtualHost  HookPoint = 1
	HookPostHTTPListener HookPoint = 2
	HookPostCluster      HookPoint = 3
	HookPostTranslate    HookPoint = 4
	HookPostEndpoints    HookPoint = 5
	hookPointCount                 = 6
)

var hookNames = [...]string{"PostRoute", "PostVirtualHost", "PostHTTPListener", "PostCluster", "PostTranslate"}

func (p HookPoint) String() string {
	if p >= 0 && int(p) < len(hookNames) {
		return hookNames[p]
	}
	return fmt.Sprintf("HookPoint(%d)", int(p))
}

// XDSType is an xDS resource type (egw_xds_type), in config-dump order.
type XDSType int

const (
	XDSListener  XDSType = 0
	XDSRoute     XDSType = 1
	XDSCluster   XDSType = 2
	XDSEndpoint  XDSType = 3
	XDSSecret    XDSType = 4
	XDSTypeCount         = 5
	// XDSBootstrap is not a resource type: in the types given to
	// Result.Render it selects the proxy's bootstrap (EGW_RENDER_BOOTSTRAP,
	// bit 5 of the type mask); nil types select it along with every
	// resource type, as `egctl x translate -t all` does.
	XDSBootstrap XDSType = 5
)

// XDSTypes lists every xDS type in order.
var XDSTypes = [XDSTypeCount]XDSType{XDSListener, XDSRoute, XDSCluster, XDSEndpoint, XDSSecret}

var xdsNames = [...]string{"listener", "route", "cluster", "endpoint", "secret", "bootstrap"}

func (t XDSType) String() string {
	if t >= 0 && int(t) < len(xdsNames) {
		return xdsNames[t]
	}
	return fmt.Sprintf("XDSType(%d)", int(t))
}

// Format is a rendering format (egw_format).
type Format int

const (
	FormatJSON        Format = 0 // pretty JSON, two-space indent
	FormatJSONCompact Format = 1
	FormatYAML        Format = 2
	// FormatShowSecrets is OR'ed into a format to render xDS Secrets with
	// their real bytes (EGW_FORMAT_SHOW_SECRETS); they are redacted otherwise.
	FormatShowSecrets Format = 0x100
)

// RenderPart selects the parts of Result.Render (bit flags).
type RenderPart uint

const (
	RenderGatewayAPI RenderPart = 1 // input objects grouped by kind, with status
	RenderIR         RenderPart = 2 // xdsIR and infraIR, keyed by fleet
	RenderXDS        RenderPart = 4 // per fleet an Envoy config dump
	RenderResources  RenderPart = 8 // the objects without the GatewayClass's status (egctl --to ir)
)

// Severity of a diagnostic (egw_severity).
type Severity int

const (
	SevError   Severity = 0 // the object (or document) was rejected
	SevWarning Severity = 1 // something was ignored; the object was used
	SevInfo    Severity = 2
)

func (s Severity) String() string {
	switch s {
	case SevError:
		return "error"
	case SevWarning:
		return "warning"
	case SevInfo:
		return "info"
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// DiagCode classifies a diagnostic (egw_diag_code).
type DiagCode int

const (
	DiagSyntax       DiagCode = 1  // the document is not valid YAML/JSON
	DiagUnknownKind  DiagCode = 2  // apiVersion/kind not translated
	DiagUnknownField DiagCode = 3  // a field the schema does not have
	DiagType         DiagCode = 4  // a value of the wrong type
	DiagMissing      DiagCode = 5  // a required field is missing
	DiagLimit        DiagCode = 6  // a limit was exceeded
	DiagDuplicate    DiagCode = 7  // two objects with one kind/namespace/name
	DiagInvalid      DiagCode = 8  // a value that is not valid for its field
	DiagRejected     DiagCode = 9  // the translation rejected the object (see its status)
	DiagUnsupported  DiagCode = 10 // a feature libegw does not translate yet
	DiagHook         DiagCode = 11 // an extension hook failed
)

var diagNames = [...]string{"", "syntax", "unknown-kind", "unknown-field", "type", "missing",
	"limit", "duplicate", "invalid", "rejected", "unsupported", "hook"}

func (d DiagCode) String() string {
	if d > 0 && int(d) < len(diagNames) {
		return diagNames[d]
	}
	return fmt.Sprintf("DiagCode(%d)", int(d))
}

// OptionsVersion is the egw_options version this binding fills in.
const OptionsVersion = 1
