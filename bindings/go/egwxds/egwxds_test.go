// SPDX-License-Identifier: Apache-2.0

package egwxds

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	cache "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	egw "github.com/libegw/libegw/bindings/go"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

func translate(t testing.TB, yaml []byte) (*egw.Result, *egw.Fleet) {
	t.Helper()
	r, err := egw.Translate([][]byte{yaml}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	f := r.Fleet("apps/web")
	if f == nil {
		t.Fatalf("no fleet apps/web; diagnostics: %v", r.Diagnostics())
	}
	return r, f
}

func gatewayYAML(t testing.TB) []byte {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "gateway.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeAndSnapshot(t *testing.T) {
	_, f := translate(t, gatewayYAML(t))
	res, err := Resources(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(res[resource.ListenerType]) == 0 || len(res[resource.ClusterType]) == 0 ||
		len(res[resource.RouteType]) == 0 || len(res[resource.EndpointType]) == 0 {
		t.Fatalf("resources by type: %d listeners %d routes %d clusters %d endpoints",
			len(res[resource.ListenerType]), len(res[resource.RouteType]),
			len(res[resource.ClusterType]), len(res[resource.EndpointType]))
	}
	for typ, items := range res {
		for _, m := range items {
			if err := Validate(m); err != nil {
				t.Errorf("%s %s: %v", typ, cache.GetResourceName(m), err)
			}
		}
	}

	snap, err := Snapshot(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := Consistent(snap); err != nil {
		t.Errorf("Consistent: %v", err)
	}
	typed, err := TypedSnapshot(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := typed.Consistent(); err != nil {
		t.Errorf("typed Consistent: %v", err)
	}
	for _, typ := range egw.XDSTypes {
		url := TypeURL(typ)
		if v := snap.GetVersion(url); v != f.VersionString() {
			t.Errorf("%s version %q, want %q", typ, v, f.VersionString())
		}
		items := snap.GetResources(url)
		for _, r := range f.Resources(typ) {
			raw, ok := items[r.Name].(*Raw)
			if !ok {
				t.Fatalf("%s %q: %T in the snapshot", typ, r.Name, items[r.Name])
			}
			b, err := cache.MarshalResource(raw)
			if err != nil || !bytes.Equal(b, r.Proto) {
				t.Errorf("%s %q: served bytes differ from libegw's (%v)", typ, r.Name, err)
			}
			a, err := anypb.New(raw)
			if err != nil || a.TypeUrl != r.TypeURL || !bytes.Equal(a.Value, r.Proto) {
				t.Errorf("%s %q: anypb.New gives %s (%v)", typ, r.Name, a.GetTypeUrl(), err)
			}
			if !proto.Equal(raw, typed.GetResources(url)[r.Name]) {
				t.Errorf("%s %q: Raw and typed messages differ", typ, r.Name)
			}
			if got := snap.GetVersionMap(url)[r.Name]; got != r.VersionString() {
				t.Errorf("%s %q: version map %q, want %q", typ, r.Name, got, r.VersionString())
			}
		}
	}
	if err := snap.ConstructVersionMap(); err != nil || snap.GetVersionMap(resource.ClusterType) == nil {
		t.Errorf("ConstructVersionMap kept libegw's versions? %v", err)
	}
}

func TestDecodeRejectsUnknown(t *testing.T) {
	_, f := translate(t, gatewayYAML(t))
	l := f.Resources(egw.XDSListener)[0]

	// an unknown field at the top
	bad := l
	bad.Proto = protowire.AppendVarint(protowire.AppendTag(append([]byte(nil), l.Proto...), 9999, protowire.VarintType), 1)
	if _, err := Decode(bad); !errors.Is(err, ErrUnknownFields) || !strings.Contains(err.Error(), "field 9999") {
		t.Errorf("top-level unknown field: %v", err)
	}

	// an unknown field inside the HttpConnectionManager Any
	m, err := Decode(l)
	if err != nil {
		t.Fatal(err)
	}
	lis := proto.Clone(Unwrap(m)).(*listener.Listener)
	var done bool
	for _, fc := range append(lis.GetFilterChains(), lis.GetDefaultFilterChain()) {
		for _, fl := range fc.GetFilters() {
			if a := fl.GetTypedConfig(); a != nil && !done {
				a.Value = protowire.AppendVarint(protowire.AppendTag(a.Value, 4242, protowire.VarintType), 7)
				done = true
			}
		}
	}
	if !done {
		t.Fatal("no typed filter config in the listener")
	}
	bad.Proto, _ = proto.Marshal(lis)
	if _, err := Decode(bad); !errors.Is(err, ErrUnknownFields) || !strings.Contains(err.Error(), "<envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager>") {
		t.Errorf("unknown field inside Any: %v", err)
	}

	// an enum number the schema lacks
	c := &cluster.Cluster{Name: "c", LbPolicy: cluster.Cluster_LbPolicy(999)}
	if u := Unknown(c); len(u) != 1 || !strings.Contains(u[0], "no value 999") {
		t.Errorf("Unknown(enum 999) = %v", u)
	}

	if _, err := Decode(egw.Resource{TypeURL: "type.googleapis.com/google.protobuf.Empty"}); err == nil {
		t.Error("Decode accepted a non-xDS type")
	}
}

func TestValidateOpensAny(t *testing.T) {
	inner, err := anypb.New(&hcm.HttpConnectionManager{}) // stat_prefix is required
	if err != nil {
		t.Fatal(err)
	}
	l := &listener.Listener{Name: "l", FilterChains: []*listener.FilterChain{{
		Filters: []*listener.Filter{{Name: "hcm", ConfigType: &listener.Filter_TypedConfig{TypedConfig: inner}}},
	}}}
	if err := l.ValidateAll(); err != nil {
		t.Fatalf("ValidateAll alone already fails: %v", err)
	}
	err = Validate(l)
	if err == nil || !strings.Contains(err.Error(), "StatPrefix") {
		t.Errorf("Validate did not look inside the Any: %v", err)
	}

	l.FilterChains[0].Filters[0].ConfigType = &listener.Filter_TypedConfig{TypedConfig: &anypb.Any{TypeUrl: "type.googleapis.com/no.such.Type"}}
	var ue *UnresolvedAnyError
	if err := Validate(l); !errors.As(err, &ue) || ue.TypeURL != "type.googleapis.com/no.such.Type" {
		t.Errorf("unresolved Any: %v", err)
	}
}
