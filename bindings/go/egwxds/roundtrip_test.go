// SPDX-License-Identifier: Apache-2.0

package egwxds

// A real xDS round trip: libegw's snapshot served by go-control-plane's ADS
// server on a loopback port, fetched by a gRPC client acting as an Envoy
// node (state of the world for LDS, RDS, CDS, EDS, and a delta stream), then
// an update of one route.

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"sort"
	"testing"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	cache "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	server "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	egw "github.com/libegw/libegw/bindings/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

const nodeID = "apps/web"

// startADS serves c on 127.0.0.1 (a random port) until the test ends.
func startADS(t *testing.T, ctx context.Context, c cache.SnapshotCache) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	discovery.RegisterAggregatedDiscoveryServiceServer(gs, server.NewServer(ctx, c, nil))
	go gs.Serve(lis)
	t.Cleanup(gs.Stop)
	return lis.Addr().String()
}

// recvLoop forwards a stream's messages to a channel.
func recvLoop[T any](recv func() (T, error)) <-chan T {
	ch := make(chan T, 16)
	go func() {
		defer close(ch)
		for {
			m, err := recv()
			if err != nil {
				return
			}
			ch <- m
		}
	}()
	return ch
}

func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case m, ok := <-ch:
		if !ok {
			t.Fatalf("stream closed waiting for %s", what)
		}
		return m
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

// libegwAnys is a fleet's resources as the Any values Envoy must receive,
// by type URL and name.
func libegwAnys(f *egw.Fleet) map[string]map[string]egw.Resource {
	out := map[string]map[string]egw.Resource{}
	for _, t := range egw.XDSTypes {
		m := map[string]egw.Resource{}
		for _, r := range f.Resources(t) {
			m[r.Name] = r
		}
		out[TypeURL(t)] = m
	}
	return out
}

func anyName(t *testing.T, a *anypb.Any) string {
	t.Helper()
	m, err := newMessage(a.TypeUrl)
	if err != nil {
		t.Fatal(err)
	}
	if err := anypb.UnmarshalTo(a, m, proto.UnmarshalOptions{}); err != nil {
		t.Fatal(err)
	}
	return cache.GetResourceName(m)
}

func sortedKeys[V any](m map[string]V) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	sort.Strings(k)
	return k
}

// checkSame says whether the Anys are exactly want's resources.
func checkSame(t *testing.T, typeURL string, got []*anypb.Any, want map[string]egw.Resource) {
	t.Helper()
	names := map[string]bool{}
	for _, a := range got {
		if a.TypeUrl != typeURL {
			t.Errorf("%s response holds a %s", typeURL, a.TypeUrl)
			continue
		}
		n := anyName(t, a)
		names[n] = true
		w, ok := want[n]
		if !ok {
			t.Errorf("%s: got %q, which libegw did not produce", typeURL, n)
		} else if !bytes.Equal(a.Value, w.Proto) {
			t.Errorf("%s %q: the Any value differs from libegw's bytes", typeURL, n)
		}
	}
	for n := range want {
		if !names[n] {
			t.Errorf("%s: %q not received", typeURL, n)
		}
	}
}

func TestADSRoundTrip(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	yaml1 := gatewayYAML(t)
	yaml2 := bytes.Replace(yaml1, []byte("value: /cart"), []byte("value: /basket"), 1)
	if bytes.Equal(yaml1, yaml2) {
		t.Fatal("testdata/gateway.yaml has no /cart route to change")
	}
	_, f1 := translate(t, yaml1)
	_, f2 := translate(t, yaml2)
	want1, want2 := libegwAnys(f1), libegwAnys(f2)

	// Which resources change, by libegw's per-resource versions.
	v1, v2 := ResourceVersions(f1), ResourceVersions(f2)
	changed := map[string][]string{}
	for typ := range v1 {
		for name, v := range v2[typ] {
			if v1[typ][name] != v {
				changed[typ] = append(changed[typ], name)
			}
		}
		for name := range v1[typ] {
			if _, ok := v2[typ][name]; !ok {
				changed[typ] = append(changed[typ], name+" (removed)")
			}
		}
	}
	if len(changed) != 1 || len(changed[resource.RouteType]) != 1 {
		t.Fatalf("changing one route's path changed %v; want exactly one RouteConfiguration", changed)
	}
	changedRoute := changed[resource.RouteType][0]
	t.Logf("the path change moves only route %q: %s -> %s", changedRoute,
		v1[resource.RouteType][changedRoute], v2[resource.RouteType][changedRoute])

	snap1, err := Snapshot(f1)
	if err != nil {
		t.Fatal(err)
	}
	if err := Consistent(snap1); err != nil {
		t.Fatal(err)
	}
	sc := cache.NewSnapshotCache(true, cache.IDHash{}, nil)
	if err := sc.SetSnapshot(ctx, nodeID, snap1); err != nil {
		t.Fatal(err)
	}
	addr := startADS(t, ctx, sc)

	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ads := discovery.NewAggregatedDiscoveryServiceClient(conn)
	node := &core.Node{Id: nodeID, Cluster: "apps/web"}

	// ---- state of the world: CDS and LDS (wildcard), then EDS and RDS by name
	sotw, err := ads.StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sotwIn := recvLoop(sotw.Recv)
	got := map[string]*discovery.DiscoveryResponse{}
	send := func(typeURL string, names []string, ack *discovery.DiscoveryResponse) {
		req := &discovery.DiscoveryRequest{Node: node, TypeUrl: typeURL, ResourceNames: names}
		if ack != nil {
			req.VersionInfo, req.ResponseNonce = ack.VersionInfo, ack.Nonce
		}
		if err := sotw.Send(req); err != nil {
			t.Fatal(err)
		}
	}
	recvType := func(typeURL string) *discovery.DiscoveryResponse {
		for {
			r := waitFor(t, sotwIn, typeURL)
			got[r.TypeUrl] = r
			if r.TypeUrl == typeURL {
				return r
			}
		}
	}
	names := func(typeURL string) []string { return sortedKeys(want1[typeURL]) }

	send(resource.ClusterType, nil, nil)
	cds := recvType(resource.ClusterType)
	send(resource.EndpointType, names(resource.EndpointType), nil)
	eds := recvType(resource.EndpointType)
	send(resource.ListenerType, nil, nil)
	lds := recvType(resource.ListenerType)
	send(resource.RouteType, names(resource.RouteType), nil)
	rds := recvType(resource.RouteType)
	for _, r := range []*discovery.DiscoveryResponse{cds, eds, lds, rds} {
		checkSame(t, r.TypeUrl, r.Resources, want1[r.TypeUrl])
		if r.VersionInfo != f1.VersionString() {
			t.Errorf("%s version %q, want the fleet version %q", r.TypeUrl, r.VersionInfo, f1.VersionString())
		}
	}
	t.Logf("sotw: %d clusters, %d endpoints, %d listeners, %d routes, byte-identical to libegw",
		len(cds.Resources), len(eds.Resources), len(lds.Resources), len(rds.Resources))
	// ACK everything, as Envoy does
	send(resource.ClusterType, nil, cds)
	send(resource.EndpointType, names(resource.EndpointType), eds)
	send(resource.ListenerType, nil, lds)
	send(resource.RouteType, names(resource.RouteType), rds)

	// ---- delta: the same resources.  go-control-plane v0.14 decides what
	// to send from the snapshot's VersionMap (libegw's versions) but puts
	// the sha256 of the bytes it sends on the wire as each resource's
	// version; both are functions of libegw's bytes.
	delta, err := ads.DeltaAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	deltaIn := recvLoop(delta.Recv)
	for _, typ := range []string{resource.ClusterType, resource.EndpointType, resource.ListenerType, resource.RouteType} {
		req := &discovery.DeltaDiscoveryRequest{Node: node, TypeUrl: typ}
		if typ == resource.EndpointType || typ == resource.RouteType {
			req.ResourceNamesSubscribe = names(typ)
		}
		if err := delta.Send(req); err != nil {
			t.Fatal(err)
		}
		r := waitFor(t, deltaIn, "delta "+typ)
		if r.TypeUrl != typ {
			t.Fatalf("delta: asked for %s, got %s", typ, r.TypeUrl)
		}
		for _, res := range r.Resources {
			w := want1[typ][res.Name]
			if !bytes.Equal(res.GetResource().GetValue(), w.Proto) || res.Version != cache.HashResource(w.Proto) {
				t.Errorf("delta %s %q: version %s (sha256 of libegw's bytes %s), bytes equal %v", typ, res.Name, res.Version,
					cache.HashResource(w.Proto), bytes.Equal(res.GetResource().GetValue(), w.Proto))
			}
		}
		if len(r.Resources) != len(want1[typ]) {
			t.Errorf("delta %s: %d resources, libegw has %d", typ, len(r.Resources), len(want1[typ]))
		}
		if err := delta.Send(&discovery.DeltaDiscoveryRequest{TypeUrl: typ, ResponseNonce: r.Nonce}); err != nil {
			t.Fatal(err)
		}
	}

	// ---- change one route
	snap2, err := Snapshot(f2)
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.SetSnapshot(ctx, nodeID, snap2); err != nil {
		t.Fatal(err)
	}

	// Delta sends exactly the resource whose libegw version moved, with its
	// new bytes.
	newRoute := want2[resource.RouteType][changedRoute].Proto
	r := waitFor(t, deltaIn, "delta update")
	if r.TypeUrl != resource.RouteType || len(r.Resources) != 1 || r.Resources[0].Name != changedRoute ||
		r.Resources[0].Version != cache.HashResource(newRoute) ||
		!bytes.Equal(r.Resources[0].GetResource().GetValue(), newRoute) {
		t.Errorf("delta update: %s %v; want only route %q", r.TypeUrl, deltaNames(r), changedRoute)
	} else {
		t.Logf("delta update: only %s %q", r.TypeUrl, changedRoute)
	}
	select {
	case extra := <-deltaIn:
		t.Errorf("delta sent more after the route: %s %v", extra.TypeUrl, deltaNames(extra))
	case <-time.After(500 * time.Millisecond):
	}

	// State of the world resends the types (their version is the fleet's);
	// the content is libegw's new resources, and only the route's bytes
	// (so its libegw version) moved.
	pending := map[string]bool{resource.ClusterType: true, resource.EndpointType: true, resource.ListenerType: true, resource.RouteType: true}
	for len(pending) > 0 {
		r := waitFor(t, sotwIn, fmt.Sprintf("sotw update (%d types pending)", len(pending)))
		if !pending[r.TypeUrl] {
			continue
		}
		delete(pending, r.TypeUrl)
		if r.VersionInfo != f2.VersionString() {
			t.Errorf("%s update version %q, want %q", r.TypeUrl, r.VersionInfo, f2.VersionString())
		}
		checkSame(t, r.TypeUrl, r.Resources, want2[r.TypeUrl])
		for _, a := range r.Resources {
			n := anyName(t, a)
			moved := !bytes.Equal(a.Value, want1[r.TypeUrl][n].Proto)
			if moved != (r.TypeUrl == resource.RouteType && n == changedRoute) {
				t.Errorf("sotw update: %s %q moved=%v", r.TypeUrl, n, moved)
			}
		}
	}
	cancel()
}

func deltaNames(r *discovery.DeltaDiscoveryResponse) []string {
	var n []string
	for _, x := range r.Resources {
		n = append(n, x.Name+"@"+x.Version)
	}
	return n
}
