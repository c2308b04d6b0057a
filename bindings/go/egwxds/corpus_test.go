// SPDX-License-Identifier: Apache-2.0

package egwxds

// Validation of libegw's xDS over the conformance corpus (../shared/
// conformance from the project root; the test skips when it is absent).
// Every resource libegw produces must decode into its go-control-plane type
// without unknown fields, pass ValidateAll with every Any opened and
// validated, and every fleet's snapshot must be consistent.
//
// Failing: any unknown field or ValidateAll error in a resource that
// libegw produced, for every input; and any problem at all (translation
// error, fleet error, resource that failed to serialize, unresolved Any,
// inconsistent snapshot) for the inputs that tests/conformance/passing.txt
// lists as passing.  Everything else is reported, not failed: the per-input
// table goes to $EGW_BUILD_ROOT/bindings-go/xds-validation.txt (or the test's
// temp dir) and the totals to the test log.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	cache "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	egw "github.com/libegw/libegw/bindings/go"
	_ "github.com/libegw/libegw/bindings/go/egwxds/extensions"
	"google.golang.org/protobuf/proto"
)

func sourceRoot() string {
	if r := os.Getenv("EGW_SOURCE_ROOT"); r != "" {
		return r
	}
	return filepath.Join("..", "..", "..")
}

func corpusDir() string {
	if d := os.Getenv("EGW_CONFORMANCE_DIR"); d != "" {
		return d
	}
	return filepath.Join(sourceRoot(), "..", "shared", "conformance")
}

// ratchet reads tests/conformance/passing.txt: ids like egctl/quickstart@13,
// gatewayapi/<case>, xds/xds-ir/<case>.  An egctl id stands for its input
// file, whatever the run number.
func ratchet(t *testing.T) map[string]bool {
	out := map[string]bool{}
	f, err := os.Open(filepath.Join(sourceRoot(), "tests", "conformance", "passing.txt"))
	if err != nil {
		t.Logf("no ratchet (%v): nothing is held to passing", err)
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out[line] = true
		if i := strings.IndexByte(line, '@'); i > 0 {
			out[line[:i]] = true
		}
	}
	return out
}

type corpusInput struct {
	id          string // ratchet id
	files       []string
	opts        *egw.Options
	expectError string // xds cases whose translation must fail
}

// settings of an xds case: the three keys the corpus uses, read line by line.
func xdsSettings(path string) (dns string, flags []string, expectError string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	inFlags := false
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "dnsDomain:"):
			dns = strings.Trim(strings.TrimSpace(strings.TrimPrefix(line, "dnsDomain:")), `"'`)
			inFlags = false
		case strings.HasPrefix(line, "expectError:"):
			expectError = strings.Trim(strings.TrimSpace(strings.TrimPrefix(line, "expectError:")), `"'`)
			inFlags = false
		case strings.HasPrefix(line, "runtimeFlags:"):
			inFlags = true
		case inFlags && strings.HasPrefix(strings.TrimSpace(line), "- "):
			flags = append(flags, strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "- ")))
		case line != "" && line[0] != ' ' && line[0] != '-':
			inFlags = false
		}
	}
	return
}

func discover(dir string) []corpusInput {
	var out []corpusInput
	// egctl: one input per file, with the options its runs in cases.yaml use
	// (empty controller namespace; egw's default namespace; add-missing).
	addMissing := map[string]bool{}
	if b, err := os.ReadFile(filepath.Join(dir, "egctl", "cases.yaml")); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "--add-missing-resources") {
				if i := strings.Index(line, "in/"); i >= 0 {
					name := line[i+3:]
					name = name[:strings.IndexAny(name+",] ", ",] ")]
					addMissing[name] = true
				}
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "egctl", "in", "*.yaml"))
	for _, f := range files {
		base := filepath.Base(f)
		out = append(out, corpusInput{
			id:    "egctl/" + strings.TrimSuffix(base, ".yaml"),
			files: []string{f},
			opts: &egw.Options{ControllerNamespace: egw.Ptr(""), DefaultNamespace: egw.Ptr("envoy-gateway-system"),
				RatelimitNamespace: egw.Ptr("envoy-gateway-system"), AddMissingResources: addMissing[base]},
		})
	}
	for _, fam := range []string{"gatewayapi", "gatewayapi-extensions"} {
		files, _ := filepath.Glob(filepath.Join(dir, fam, "*.in.yaml"))
		for _, f := range files {
			name := strings.TrimSuffix(filepath.Base(f), ".in.yaml")
			o := &egw.Options{DefaultNamespace: egw.Ptr("envoy-gateway-system"), RatelimitNamespace: egw.Ptr("envoy-gateway-system")}
			if cfg, err := os.ReadFile(filepath.Join(dir, fam, name+".config.yaml")); err == nil {
				o.Config = cfg
			}
			if fam == "gatewayapi-extensions" {
				o.ControllerNamespace = egw.Ptr("")
			}
			out = append(out, corpusInput{id: fam + "/" + name, files: []string{f}, opts: o})
		}
	}
	for _, fam := range []string{"xds/xds-ir", "xds/extension-xds-ir"} {
		files, _ := filepath.Glob(filepath.Join(dir, fam, "in", "*.yaml"))
		for _, f := range files {
			if strings.HasSuffix(f, ".settings.yaml") {
				continue
			}
			name := strings.TrimSuffix(filepath.Base(f), ".yaml")
			dns, flags, expect := xdsSettings(filepath.Join(dir, fam, "in", name+".settings.yaml"))
			out = append(out, corpusInput{id: fam + "/" + name, files: []string{f}, expectError: expect,
				opts: &egw.Options{From: egw.FromXDSIR, DNSDomain: dns, RuntimeFlags: flags}})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// inputReport is one input's numbers.
type inputReport struct {
	id                            string
	held                          bool // listed in passing.txt
	translateErr                  string
	fleets, fleetErrors           int
	resources, decoded, identical int
	unknown, invalid, unresolved  int
	notSerialized, inconsistent   int
	duplicates                    int
	problems                      []string // every finding, for the report
	fatal                         []string // the findings that fail the test
}

func (r *inputReport) add(fatal bool, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.problems = append(r.problems, msg)
	if fatal {
		r.fatal = append(r.fatal, msg)
	}
}

// strict (EGW_XDS_STRICT=1) fails unknown fields and ValidateAll errors in
// every input, not only in those passing.txt holds.
var strict = os.Getenv("EGW_XDS_STRICT") == "1"

func checkInput(in corpusInput, held bool) *inputReport {
	rep := &inputReport{id: in.id, held: held}
	var inputs []egw.Input
	for _, f := range in.files {
		b, err := os.ReadFile(f)
		if err != nil {
			rep.add(true, "read: %v", err)
			return rep
		}
		inputs = append(inputs, egw.Input{Name: filepath.Base(f), Data: b})
	}
	res, err := egw.TranslateInputs(inputs, in.opts)
	if err != nil {
		rep.translateErr = err.Error()
		rep.add(held, "translate: %v", err)
		return rep
	}
	defer res.Close()
	for _, d := range res.Diagnostics() {
		if d.Code == egw.DiagUnsupported && strings.Contains(d.Message, "cannot be serialized") {
			rep.notSerialized++
			rep.add(held && in.expectError == "", "%s", d.Message)
		}
	}
	for _, f := range res.Fleets() {
		rep.fleets++
		if f.Error != "" {
			rep.fleetErrors++
			rep.add(held && in.expectError == "", "fleet %s: %s", f.Name, f.Error)
		}
		for _, t := range egw.XDSTypes {
			for _, r := range f.Resources(t) {
				rep.resources++
				m, err := Decode(r)
				if err != nil {
					rep.unknown++
					rep.add(held || strict, "fleet %s: %v", f.Name, err)
					continue
				}
				rep.decoded++
				if b, err := (proto.MarshalOptions{Deterministic: true}).Marshal(m); err == nil && bytes.Equal(b, r.Proto) {
					rep.identical++
				}
				invalid, unresolved := validate(m)
				if len(invalid) > 0 {
					rep.invalid++
					rep.add(held || strict, "fleet %s: %s %q: %v", f.Name, t, r.Name, errors.Join(invalid...))
				}
				if len(unresolved) > 0 {
					rep.unresolved++
					rep.add(held, "fleet %s: %s %q: %v", f.Name, t, r.Name, errors.Join(unresolved...))
				}
			}
		}
		// Two resources of a type with one name: reported, not failed, as
		// Envoy Gateway's goldens have them too (xds-ir tcp-route-tls-
		// terminate: two secrets envoy-gateway-tls-secret-1, one with an
		// OCSP staple); a snapshot keeps the last.
		last := map[string]egw.Resource{}
		for _, t := range egw.XDSTypes {
			for _, r := range f.Resources(t) {
				key := t.String() + " " + r.Name
				if prev, dup := last[key]; dup {
					rep.duplicates++
					if !bytes.Equal(prev.Proto, r.Proto) {
						rep.add(false, "fleet %s: two %ss named %q with different contents", f.Name, t, r.Name)
					}
				}
				last[key] = r
			}
		}
		if exact, err := Snapshot(f); err == nil {
			for _, t := range egw.XDSTypes {
				items := exact.GetResources(TypeURL(t))
				for _, r := range f.Resources(t) {
					b, err := cache.MarshalResource(items[r.Name])
					if err != nil || !bytes.Equal(b, last[t.String()+" "+r.Name].Proto) {
						rep.add(true, "fleet %s: %s %q: the exact snapshot does not serve libegw's bytes (%v)", f.Name, t, r.Name, err)
					}
				}
			}
		}
		snap, err := TypedSnapshot(f)
		if err != nil {
			continue // decode errors are counted above
		}
		if err := snap.Consistent(); err != nil {
			rep.inconsistent++
			rep.add(held && in.expectError == "", "fleet %s: snapshot not consistent: %v", f.Name, err)
		}
	}
	return rep
}

func TestCorpusXDSValidates(t *testing.T) {
	dir := corpusDir()
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("conformance corpus not found at %s (set EGW_CONFORMANCE_DIR)", dir)
	}
	held := ratchet(t)
	inputs := discover(dir)
	if len(inputs) == 0 {
		t.Skipf("no inputs under %s", dir)
	}

	reports := make([]*inputReport, len(inputs))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				reports[i] = checkInput(inputs[i], held[inputs[i].id])
			}
		}()
	}
	for i := range inputs {
		next <- i
	}
	close(next)
	wg.Wait()

	type total struct{ inputs, held, withFleets, clean, resources, decoded, identical, unknown, invalid, unresolved, notSerialized, inconsistent, duplicates, translateErr, fleetErr int }
	byFam := map[string]*total{}
	var fams []string
	var table strings.Builder
	fmt.Fprintf(&table, "# libegw xDS through go-control-plane: one line per corpus input\n")
	fmt.Fprintf(&table, "# id held fleets resources decoded identical unknown invalid unresolved not-serialized inconsistent status\n")
	for _, r := range reports {
		fam := r.id[:strings.LastIndexByte(r.id, '/')]
		tt := byFam[fam]
		if tt == nil {
			tt = &total{}
			byFam[fam] = tt
			fams = append(fams, fam)
		}
		tt.inputs++
		if r.held {
			tt.held++
		}
		if r.fleets > 0 {
			tt.withFleets++
		}
		if len(r.problems) == 0 && r.translateErr == "" && r.resources > 0 {
			tt.clean++
		}
		tt.resources += r.resources
		tt.decoded += r.decoded
		tt.identical += r.identical
		tt.unknown += r.unknown
		tt.invalid += r.invalid
		tt.unresolved += r.unresolved
		tt.notSerialized += r.notSerialized
		tt.inconsistent += r.inconsistent
		tt.duplicates += r.duplicates
		if r.translateErr != "" {
			tt.translateErr++
		}
		tt.fleetErr += r.fleetErrors
		status := "ok"
		if len(r.fatal) > 0 {
			status = "FAIL"
		} else if len(r.problems) > 0 {
			status = "problems"
		}
		fmt.Fprintf(&table, "%s %v %d %d %d %d %d %d %d %d %d %s\n", r.id, r.held, r.fleets, r.resources, r.decoded,
			r.identical, r.unknown, r.invalid, r.unresolved, r.notSerialized, r.inconsistent, status)
		for _, p := range r.problems {
			if len(p) > 600 {
				p = p[:600] + "..."
			}
			fmt.Fprintf(&table, "    %s\n", p)
		}
		if len(r.fatal) == 0 && (r.unknown > 0 || r.invalid > 0) {
			t.Logf("WARNING %s (not in passing.txt, so not failing): %d resources with unknown fields, %d failing ValidateAll; see the report",
				r.id, r.unknown, r.invalid)
		}
		if len(r.fatal) > 0 {
			for i, p := range r.fatal {
				if i == 5 {
					t.Errorf("%s: ... and %d more", r.id, len(r.fatal)-5)
					break
				}
				if len(p) > 2000 {
					p = p[:2000] + "..."
				}
				t.Errorf("%s (held=%v): %s", r.id, r.held, p)
			}
		}
	}
	sort.Strings(fams)
	for _, fam := range fams {
		x := byFam[fam]
		t.Logf("%-22s inputs %4d (held %3d, with fleets %4d, clean %4d) resources %5d decoded %5d byte-identical re-marshal %5d | unknown-fields %d invalid %d unresolved-any %d not-serialized %d inconsistent %d duplicate-names %d translate-errors %d fleet-errors %d",
			fam, x.inputs, x.held, x.withFleets, x.clean, x.resources, x.decoded, x.identical, x.unknown, x.invalid, x.unresolved, x.notSerialized, x.inconsistent, x.duplicates, x.translateErr, x.fleetErr)
	}
	out := filepath.Join(t.TempDir(), "xds-validation.txt")
	if b := os.Getenv("EGW_BUILD_ROOT"); b != "" {
		if err := os.MkdirAll(filepath.Join(b, "bindings-go"), 0o755); err == nil {
			out = filepath.Join(b, "bindings-go", "xds-validation.txt")
		}
	}
	if err := os.WriteFile(out, []byte(table.String()), 0o644); err == nil {
		t.Logf("per-input report: %s", out)
	}
}
