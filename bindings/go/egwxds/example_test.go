// SPDX-License-Identifier: Apache-2.0

package egwxds_test

import (
	"context"

	cache "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	egw "github.com/libegw/libegw/bindings/go"
	"github.com/libegw/libegw/bindings/go/egwxds"
)

// The README's example: translate, and give every fleet's snapshot to a
// go-control-plane cache (compiled, not run).
func Example() {
	_ = func(ctx context.Context, yaml []byte) error {
		sc := cache.NewSnapshotCache(true, cache.IDHash{}, nil) // go-control-plane; serve it with server.NewServer
		res, err := egw.Translate([][]byte{yaml}, &egw.Options{ControllerNamespace: egw.Ptr("envoy-gateway-system")})
		if err != nil {
			return err // errors.Is(err, egw.ErrLimit), errors.Is(err, egw.ErrConfig), ...
		}
		defer res.Close()
		for _, f := range res.Fleets() { // one per Gateway ("ns/name"), or per GatewayClass when merged
			snap, err := egwxds.Snapshot(f) // version = f.VersionString(); Envoy gets libegw's exact bytes
			if err != nil {
				return err
			}
			sc.SetSnapshot(ctx, f.Name, snap)
		}
		return nil
	}
}
