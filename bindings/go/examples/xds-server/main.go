// SPDX-License-Identifier: Apache-2.0

// xds-server is a small control plane: it watches a folder of Gateway API /
// Envoy Gateway YAML files, translates them with libegw whenever one
// changes, and serves each proxy fleet's xDS over ADS (state of the world
// and delta) with go-control-plane.  An Envoy gets the fleet named by its
// node's cluster (or, without one, its node id): "<namespace>/<gateway>".
//
//	xds-server -dir ./manifests -addr 127.0.0.1:18000
//
// See README.md for an Envoy bootstrap.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	cache "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	server "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	egw "github.com/libegw/libegw/bindings/go"
	"github.com/libegw/libegw/bindings/go/egwxds"
	"google.golang.org/grpc"
)

// Config of the control plane.
type Config struct {
	Dir    string        // folder of *.yaml, *.yml, *.json manifests
	Addr   string        // where to serve ADS
	Config string        // optional EnvoyGateway configuration file
	Poll   time.Duration // how often to look at the folder's mtimes
	Opts   egw.Options   // translation options (Config is filled from the file)
	Logf   func(format string, args ...any)
}

// nodeFleet maps an Envoy node to the fleet it serves: node.cluster, or
// node.id when the cluster is empty.
type nodeFleet struct{}

func (nodeFleet) ID(node *core.Node) string {
	if node == nil {
		return ""
	}
	if node.Cluster != "" {
		return node.Cluster
	}
	return node.Id
}

// signature of the folder: names, sizes and mtimes of the manifests.
func signature(dir string) (string, []string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", nil, err
	}
	var b strings.Builder
	var files []string
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.IsDir() || (ext != ".yaml" && ext != ".yml" && ext != ".json") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		files = append(files, filepath.Join(dir, e.Name()))
		fmt.Fprintf(&b, "%s\x00%d\x00%d\n", e.Name(), info.Size(), info.ModTime().UnixNano())
	}
	sort.Strings(files)
	return b.String(), files, nil
}

// controlPlane holds the snapshot cache and what it last served.
type controlPlane struct {
	cfg    Config
	cache  cache.SnapshotCache
	fleets map[string]string // fleet name -> version served
}

// sync translates the files and updates the snapshots.
func (cp *controlPlane) sync(ctx context.Context, files []string) error {
	var inputs []egw.Input
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		inputs = append(inputs, egw.Input{Name: filepath.Base(f), Data: b})
	}
	opts := cp.cfg.Opts
	if cp.cfg.Config != "" {
		b, err := os.ReadFile(cp.cfg.Config)
		if err != nil {
			return err
		}
		opts.Config = b
	}
	res, err := egw.TranslateInputs(inputs, &opts)
	if err != nil {
		return err // keep serving the previous snapshots
	}
	defer res.Close()
	for _, d := range res.Diagnostics() {
		if d.Severity != egw.SevInfo {
			cp.cfg.Logf("%s", d)
		}
	}
	seen := map[string]bool{}
	for _, f := range res.Fleets() {
		seen[f.Name] = true
		if f.Error != "" {
			cp.cfg.Logf("fleet %s: %s", f.Name, f.Error)
		}
		if cp.fleets[f.Name] == f.VersionString() {
			continue
		}
		snap, err := egwxds.Snapshot(f)
		if err == nil {
			err = egwxds.Consistent(snap)
		}
		if err != nil {
			cp.cfg.Logf("fleet %s: not serving version %s: %v", f.Name, f.VersionString(), err)
			continue
		}
		if err := cp.cache.SetSnapshot(ctx, f.Name, snap); err != nil {
			return err
		}
		cp.cfg.Logf("fleet %s: serving version %s (%d listeners, %d routes, %d clusters, %d endpoints, %d secrets)",
			f.Name, f.VersionString(), f.ResourceCount(egw.XDSListener), f.ResourceCount(egw.XDSRoute),
			f.ResourceCount(egw.XDSCluster), f.ResourceCount(egw.XDSEndpoint), f.ResourceCount(egw.XDSSecret))
		cp.fleets[f.Name] = f.VersionString()
	}
	for name := range cp.fleets {
		if !seen[name] {
			cp.cache.ClearSnapshot(name)
			delete(cp.fleets, name)
			cp.cfg.Logf("fleet %s: gone", name)
		}
	}
	return nil
}

// Run serves until ctx ends.  ready, when not nil, receives the address
// once the listener is up and the first translation is done.
func Run(ctx context.Context, cfg Config, ready chan<- string) error {
	if cfg.Logf == nil {
		cfg.Logf = log.Printf
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	cp := &controlPlane{cfg: cfg, cache: cache.NewSnapshotCache(true, nodeFleet{}, nil), fleets: map[string]string{}}

	lis, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	gs := grpc.NewServer()
	discovery.RegisterAggregatedDiscoveryServiceServer(gs, server.NewServer(ctx, cp.cache, nil))
	errc := make(chan error, 1)
	go func() { errc <- gs.Serve(lis) }()
	defer gs.Stop()
	cfg.Logf("serving ADS on %s, watching %s (libegw %s)", lis.Addr(), cfg.Dir, egw.Version())

	last := ""
	tick := time.NewTicker(cfg.Poll)
	defer tick.Stop()
	for first := true; ; first = false {
		sig, files, err := signature(cfg.Dir)
		if err != nil {
			cfg.Logf("%v", err)
		} else if sig != last {
			if err := cp.sync(ctx, files); err != nil {
				cfg.Logf("translation failed, still serving the previous snapshots: %v", err)
			}
			last = sig
		}
		if first && ready != nil {
			ready <- lis.Addr().String()
		}
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			return err
		case <-tick.C:
		}
	}
}

func main() {
	var cfg Config
	var controllerNS, defaultNS string
	flag.StringVar(&cfg.Dir, "dir", ".", "folder of Gateway API / Envoy Gateway manifests (*.yaml, *.yml, *.json)")
	flag.StringVar(&cfg.Addr, "addr", "127.0.0.1:18000", "address to serve ADS on")
	flag.StringVar(&cfg.Config, "config", "", "EnvoyGateway configuration file (optional)")
	flag.DurationVar(&cfg.Poll, "poll", time.Second, "how often to check the folder for changes")
	flag.StringVar(&controllerNS, "controller-namespace", "envoy-gateway-system", "namespace the control plane runs in")
	flag.StringVar(&defaultNS, "n", "", "namespace for objects that have none (default: keep them namespace-less)")
	flag.BoolVar(&cfg.Opts.AddMissingResources, "add-missing-resources", false,
		"add a GatewayClass, Namespaces and EndpointSlices (for Services with ClusterIPs) that the manifests lack")
	flag.Parse()
	cfg.Opts.ControllerNamespace = &controllerNS
	if defaultNS != "" {
		cfg.Opts.DefaultNamespace = &defaultNS
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, cfg, nil); err != nil && !errors.Is(err, context.Canceled) {
		log.Fatal(err)
	}
}
