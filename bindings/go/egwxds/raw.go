// SPDX-License-Identifier: Apache-2.0

package egwxds

import (
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/runtime/protoiface"
)

// Raw is a decoded xDS resource that marshals to libegw's exact bytes.
//
// go-control-plane marshals every resource it serves with protobuf-go,
// which writes oneof fields after the other fields; libegw (like Envoy's
// C++) writes fields in number order.  Both are valid encodings of the same
// message, but only Raw lets Envoy receive, byte for byte, what libegw
// produced (and lets libegw's xxh64 versions describe those bytes).  For
// everything else (reflection, protojson, proto.Equal, Validate) a Raw reads
// as its Message.  A Raw is read-only: do not unmarshal or merge into it.
type Raw struct {
	// Message is the decoded go-control-plane message.
	Message types.Resource
	// Bytes are libegw's serialized protobuf of Message.
	Bytes []byte
	// Name is the resource name (the cluster name of a
	// ClusterLoadAssignment), Version libegw's version in hex.
	Name, Version string
}

// GetName gives go-control-plane's cache the resource name
// (types.ResourceWithName).
func (r *Raw) GetName() string { return r.Name }

// ProtoReflect reads as Message but marshals to Bytes.
func (r *Raw) ProtoReflect() protoreflect.Message {
	return &rawReflect{Message: r.Message.ProtoReflect(), raw: r}
}

type rawReflect struct {
	protoreflect.Message
	raw *Raw
}

func (m *rawReflect) Interface() protoreflect.ProtoMessage { return m.raw }

func (m *rawReflect) ProtoMethods() *protoiface.Methods { return &rawMethods }

var rawMethods = protoiface.Methods{
	// libegw's bytes are deterministic: the same input gives the same bytes.
	Flags: protoiface.SupportMarshalDeterministic,
	Size: func(in protoiface.SizeInput) protoiface.SizeOutput {
		return protoiface.SizeOutput{Size: len(in.Message.(*rawReflect).raw.Bytes)}
	},
	Marshal: func(in protoiface.MarshalInput) (protoiface.MarshalOutput, error) {
		return protoiface.MarshalOutput{Buf: append(in.Buf, in.Message.(*rawReflect).raw.Bytes...)}, nil
	},
}

// Unwrap returns the decoded message behind a *Raw, or r itself.
func Unwrap(r types.Resource) types.Resource {
	if x, ok := r.(*Raw); ok {
		return x.Message
	}
	return r
}

var _ proto.Message = (*Raw)(nil)
