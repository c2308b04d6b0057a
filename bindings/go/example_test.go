// SPDX-License-Identifier: Apache-2.0

package egw_test

import (
	"fmt"
	"log"
	"os"

	egw "github.com/libegw/libegw/bindings/go"
)

func Example() {
	yaml, err := os.ReadFile("testdata/gateway.yaml")
	if err != nil {
		log.Fatal(err)
	}
	res, err := egw.Translate([][]byte{yaml}, &egw.Options{DNSDomain: "cluster.local"})
	if err != nil {
		log.Fatal(err) // errors.Is(err, egw.ErrLimit), ...
	}
	defer res.Close()
	for _, f := range res.Fleets() {
		for _, r := range f.Resources(egw.XDSRoute) {
			// r.Proto is the serialized RouteConfiguration, r.Version its xxh64
			fmt.Printf("%s: %s %s\n", f.Name, r.TypeURL, r.Name)
		}
	}
	// Output: apps/web: type.googleapis.com/envoy.config.route.v3.RouteConfiguration apps/web/http
}
