// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// The control plane serves the folder's routes, and a changed file reaches
// a connected node.
func TestServeAndReload(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	yaml, err := os.ReadFile(filepath.Join("..", "..", "testdata", "gateway.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(file, yaml, 0o644); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{Dir: dir, Addr: "127.0.0.1:0", Poll: 20 * time.Millisecond, Logf: t.Logf}, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatal(err)
	case <-ctx.Done():
		t.Fatal("control plane did not start")
	}

	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stream, err := discovery.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	node := &core.Node{Id: "envoy-1", Cluster: "apps/web"}
	req := &discovery.DiscoveryRequest{Node: node, TypeUrl: resource.RouteType, ResourceNames: []string{"apps/web/http"}}
	if err := stream.Send(req); err != nil {
		t.Fatal(err)
	}
	r1, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if len(r1.Resources) != 1 || !bytes.Contains(r1.Resources[0].Value, []byte("/cart")) {
		t.Fatalf("first RDS response: %d resources", len(r1.Resources))
	}
	req.VersionInfo, req.ResponseNonce = r1.VersionInfo, r1.Nonce // ACK
	if err := stream.Send(req); err != nil {
		t.Fatal(err)
	}

	changed := bytes.Replace(yaml, []byte("/cart"), []byte("/basket"), 1)
	if err := os.WriteFile(file, changed, 0o644); err != nil {
		t.Fatal(err)
	}
	r2, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if r2.VersionInfo == r1.VersionInfo || len(r2.Resources) != 1 || !bytes.Contains(r2.Resources[0].Value, []byte("/basket")) {
		t.Errorf("after the edit: version %s -> %s, %d resources", r1.VersionInfo, r2.VersionInfo, len(r2.Resources))
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}
