// SPDX-License-Identifier: Apache-2.0

// Package egwxds turns libegw fleets into go-control-plane types: decoded
// xDS messages (listener.Listener, route.RouteConfiguration,
// cluster.Cluster, endpoint.ClusterLoadAssignment, tls.Secret) and a
// cache.Snapshot to serve over ADS.  It lives in its own module so that
// package egw stays free of go-control-plane.
//
// Decoding is strict: a resource whose protobuf carries a field the Go
// types do not know (an unknown field, or an enum number the schema lacks),
// anywhere in it including inside google.protobuf.Any values, is an error,
// because Envoy would not see what libegw meant.  Validate runs Envoy's
// protoc-gen-validate constraints (ValidateAll) on a message and on every
// typed config inside its Any values; import
// github.com/libegw/libegw/bindings/go/egwxds/extensions so those resolve.
package egwxds

import (
	"errors"
	"fmt"
	"strings"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tls "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cache "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	egw "github.com/libegw/libegw/bindings/go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"
)

// TypeURL returns go-control-plane's type URL of an xDS type.
func TypeURL(t egw.XDSType) resource.Type {
	switch t {
	case egw.XDSListener:
		return resource.ListenerType
	case egw.XDSRoute:
		return resource.RouteType
	case egw.XDSCluster:
		return resource.ClusterType
	case egw.XDSEndpoint:
		return resource.EndpointType
	case egw.XDSSecret:
		return resource.SecretType
	}
	return ""
}

func newMessage(typeURL string) (proto.Message, error) {
	switch typeURL {
	case resource.ListenerType:
		return &listener.Listener{}, nil
	case resource.RouteType:
		return &route.RouteConfiguration{}, nil
	case resource.ClusterType:
		return &cluster.Cluster{}, nil
	case resource.EndpointType:
		return &endpoint.ClusterLoadAssignment{}, nil
	case resource.SecretType:
		return &tls.Secret{}, nil
	}
	return nil, fmt.Errorf("egwxds: not an xDS resource type: %q", typeURL)
}

// ErrUnknownFields is returned (wrapped) when a resource has fields or enum
// values that the go-control-plane types do not know.
var ErrUnknownFields = errors.New("unknown fields")

// Decode unmarshals one libegw resource into its go-control-plane type and
// rejects it when it has unknown fields anywhere (including inside Any
// values whose type is registered).
func Decode(r egw.Resource) (types.Resource, error) {
	m, err := newMessage(r.TypeURL)
	if err != nil {
		return nil, err
	}
	if err := (proto.UnmarshalOptions{DiscardUnknown: false}).Unmarshal(r.Proto, m); err != nil {
		return nil, fmt.Errorf("egwxds: %s %q: %w", r.TypeURL, r.Name, err)
	}
	if u := Unknown(m); len(u) > 0 {
		return nil, fmt.Errorf("egwxds: %s %q: %w: %s", r.TypeURL, r.Name, ErrUnknownFields, strings.Join(u, "; "))
	}
	if name := cache.GetResourceName(m); name != r.Name {
		return nil, fmt.Errorf("egwxds: %s %q decodes with name %q", r.TypeURL, r.Name, name)
	}
	return m, nil
}

// Resources decodes all of a fleet's resources, keyed by type URL (every
// type present, possibly empty).
func Resources(f *egw.Fleet) (map[resource.Type][]types.Resource, error) {
	out := make(map[resource.Type][]types.Resource, egw.XDSTypeCount)
	var errs []error
	for _, t := range egw.XDSTypes {
		url := TypeURL(t)
		out[url] = []types.Resource{}
		for _, r := range f.Resources(t) {
			m, err := Decode(r)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			out[url] = append(out[url], m)
		}
	}
	return out, errors.Join(errs...)
}

// ResourceVersions returns libegw's per-resource versions (xxh64 of the
// protobuf, as 16 hex digits), by type URL and resource name.
func ResourceVersions(f *egw.Fleet) map[resource.Type]map[string]string {
	out := make(map[resource.Type]map[string]string, egw.XDSTypeCount)
	for _, t := range egw.XDSTypes {
		m := map[string]string{}
		for _, r := range f.Resources(t) {
			m[r.Name] = r.VersionString()
		}
		out[TypeURL(t)] = m
	}
	return out
}

// Snapshot builds a go-control-plane snapshot of a fleet that serves
// libegw's exact bytes: its resources are *Raw (decoded, checked for
// unknown fields, and marshalling to libegw's protobuf).  Every type's
// version is the fleet version in hex (it moves whenever any resource
// does).  The per-resource versions (Snapshot.VersionMap) are libegw's:
// delta xDS sends a resource again exactly when its libegw version moves
// (go-control-plane v0.14 puts the sha256 of the bytes on the wire as the
// version).  cache.Snapshot.Consistent cannot see through
// *Raw (it switches on concrete types): use Consistent from this package.
func Snapshot(f *egw.Fleet) (*cache.Snapshot, error) {
	res := make(map[resource.Type][]types.Resource, egw.XDSTypeCount)
	var errs []error
	for _, t := range egw.XDSTypes {
		url := TypeURL(t)
		res[url] = []types.Resource{}
		for _, r := range f.Resources(t) {
			m, err := Decode(r)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			res[url] = append(res[url], &Raw{Message: m, Bytes: r.Proto, Name: r.Name, Version: r.VersionString()})
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return newSnapshot(f, res)
}

// TypedSnapshot is Snapshot with the decoded go-control-plane messages
// themselves as resources: go-control-plane re-encodes them when it serves
// them (the same messages, but not always the same bytes; see Raw).
func TypedSnapshot(f *egw.Fleet) (*cache.Snapshot, error) {
	res, err := Resources(f)
	if err != nil {
		return nil, err
	}
	return newSnapshot(f, res)
}

func newSnapshot(f *egw.Fleet, res map[resource.Type][]types.Resource) (*cache.Snapshot, error) {
	snap, err := cache.NewSnapshot(f.VersionString(), res)
	if err != nil {
		return nil, err
	}
	snap.VersionMap = ResourceVersions(f)
	return snap, nil
}

// Consistent is cache.Snapshot.Consistent for snapshots whose resources may
// be *Raw: every EDS and RDS resource is referenced by a cluster or a
// listener, and every reference has its resource.
func Consistent(s *cache.Snapshot) error {
	if s == nil {
		return errors.New("nil snapshot")
	}
	c := *s
	for i := range c.Resources {
		items := make(map[string]types.ResourceWithTTL, len(c.Resources[i].Items))
		for name, r := range c.Resources[i].Items {
			items[name] = types.ResourceWithTTL{Resource: Unwrap(r.Resource), TTL: r.TTL}
		}
		c.Resources[i].Items = items
	}
	return c.Consistent()
}

// Unknown lists, as paths, every place in m that holds unknown fields or an
// enum number its schema does not define, descending into Any values whose
// type is registered.  Empty means the Go types know all of m.
func Unknown(m proto.Message) []string {
	var out []string
	walk(m.ProtoReflect(), string(m.ProtoReflect().Descriptor().Name()), func(path string, msg protoreflect.Message) {
		if u := msg.GetUnknown(); len(u) > 0 {
			out = append(out, fmt.Sprintf("%s: %d bytes of unknown fields (%s)", path, len(u), unknownNumbers(u)))
		}
	}, func(path string, fd protoreflect.FieldDescriptor, v protoreflect.EnumNumber) {
		if fd.Enum().Values().ByNumber(v) == nil {
			out = append(out, fmt.Sprintf("%s: enum %s has no value %d", path, fd.Enum().FullName(), v))
		}
	}, func(path, typeURL string, err error) {
		if errors.Is(err, protoregistry.NotFound) {
			return // unresolvable Any: Validate reports it
		}
		out = append(out, fmt.Sprintf("%s: %s: %v", path, typeURL, err))
	})
	return out
}

// Validate runs ValidateAll (Envoy's protoc-gen-validate rules) on m and on
// the typed config inside each of its Any values, recursively, and checks
// that every Any resolves to a registered type.  The error lists every
// violation, each with its path; an Any that does not resolve is an
// *UnresolvedAnyError.
func Validate(m proto.Message) error {
	invalid, unresolved := validate(m)
	return errors.Join(append(invalid, unresolved...)...)
}

// UnresolvedAnyError is an Any whose type is not registered (import the
// extensions package, or the Go package of the type).
type UnresolvedAnyError struct {
	Path, TypeURL string
	Err           error
}

func (e *UnresolvedAnyError) Error() string {
	return fmt.Sprintf("%s: unresolved Any %s: %v", e.Path, e.TypeURL, e.Err)
}

func (e *UnresolvedAnyError) Unwrap() error { return e.Err }

func validate(m proto.Message) (invalid, unresolved []error) {
	check := func(path string, msg proto.Message) {
		if v, ok := msg.(interface{ ValidateAll() error }); ok {
			if err := v.ValidateAll(); err != nil {
				invalid = append(invalid, fmt.Errorf("%s: %w", path, err))
			}
		}
	}
	root := string(m.ProtoReflect().Descriptor().Name())
	check(root, m)
	walk(m.ProtoReflect(), root, nil, nil, func(path, typeURL string, err error) {
		unresolved = append(unresolved, &UnresolvedAnyError{Path: path, TypeURL: typeURL, Err: err})
	}, func(path string, inner proto.Message) { check(path, inner) })
	return invalid, unresolved
}

func unknownNumbers(b []byte) string {
	var nums []string
	for len(b) > 0 {
		num, typ, n := consumeTag(b)
		if n <= 0 {
			break
		}
		nums = append(nums, fmt.Sprintf("field %d", num))
		b = b[n:]
		m := consumeValue(typ, b)
		if m < 0 {
			break
		}
		b = b[m:]
	}
	return strings.Join(nums, ", ")
}

// walk visits every message in the tree under m (message fields, lists,
// maps, and the contents of Any values, unmarshalled strictly), calling
// onMsg for each message, onEnum for each enum value, onAnyErr when an Any
// cannot be opened and onAny with each opened Any's message.
func walk(m protoreflect.Message, path string,
	onMsg func(string, protoreflect.Message),
	onEnum func(string, protoreflect.FieldDescriptor, protoreflect.EnumNumber),
	onAnyErr func(string, string, error),
	onAny ...func(string, proto.Message)) {
	if onMsg != nil {
		onMsg(path, m)
	}
	if m.Descriptor().FullName() == "google.protobuf.Any" {
		a, ok := m.Interface().(*anypb.Any)
		if !ok || (a.GetTypeUrl() == "" && len(a.GetValue()) == 0) {
			// An empty Any holds nothing to check (Envoy Gateway writes
			// FilterConfig{config: {}} to enable a filter on a route).
			return
		}
		inner, err := openAny(a)
		if err != nil {
			if onAnyErr != nil {
				onAnyErr(path, a.GetTypeUrl(), err)
			}
			return
		}
		p := path + "<" + strings.TrimPrefix(a.GetTypeUrl(), "type.googleapis.com/") + ">"
		for _, f := range onAny {
			f(p, inner)
		}
		walk(inner.ProtoReflect(), p, onMsg, onEnum, onAnyErr, onAny...)
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		fp := path + "." + string(fd.Name())
		switch {
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				visitValue(fd, l.Get(i), fmt.Sprintf("%s[%d]", fp, i), onMsg, onEnum, onAnyErr, onAny)
			}
		case fd.IsMap():
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				visitValue(fd.MapValue(), mv, fmt.Sprintf("%s[%v]", fp, k.Interface()), onMsg, onEnum, onAnyErr, onAny)
				return true
			})
		default:
			visitValue(fd, v, fp, onMsg, onEnum, onAnyErr, onAny)
		}
		return true
	})
}

func visitValue(fd protoreflect.FieldDescriptor, v protoreflect.Value, path string,
	onMsg func(string, protoreflect.Message),
	onEnum func(string, protoreflect.FieldDescriptor, protoreflect.EnumNumber),
	onAnyErr func(string, string, error), onAny []func(string, proto.Message)) {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		walk(v.Message(), path, onMsg, onEnum, onAnyErr, onAny...)
	case protoreflect.EnumKind:
		if onEnum != nil {
			onEnum(path, fd, v.Enum())
		}
	}
}

// openAny unmarshals an Any's value into its registered type, keeping
// unknown fields (walk then reports them).
func openAny(a *anypb.Any) (proto.Message, error) {
	mt, err := protoregistry.GlobalTypes.FindMessageByURL(a.GetTypeUrl())
	if err != nil {
		return nil, err
	}
	m := mt.New().Interface()
	if err := (proto.UnmarshalOptions{DiscardUnknown: false}).Unmarshal(a.GetValue(), m); err != nil {
		return nil, err
	}
	return m, nil
}
