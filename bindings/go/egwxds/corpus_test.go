// SPDX-License-Identifier: Apache-2.0

package egwxds

// Validation of libegw's xDS over the conformance corpus (../shared/
// conformance from the project root; the test skips when it is absent).
// Every resource libegw produces must decode into its go-control-plane type
// without unknown fields, pass ValidateAll with every Any opened and
// validated, and every fleet's snapshot must be consistent.
//
// Failing, for the inputs that tests/conformance/passing.txt lists as
// passing (an egctl id stands for its input file, whatever the run): any
// unknown field, ValidateAll error or unresolved Any in a resource libegw
// produced (also for cases whose translation is expected to fail), a
// translation error, a crash, and, unless the case expects an error, a
// fleet error, a resource that failed to serialize or an inconsistent
// snapshot.  For every input: Snapshot must serve libegw's exact bytes.
// With EGW_XDS_STRICT=1, unknown fields and ValidateAll errors fail in
// every input.  Everything else is reported, not failed: the per-input table
// goes to $EGW_BUILD_ROOT/bindings-go/xds-validation.txt (or the test's temp
// dir), the totals and a WARNING per troubled input to the test log.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
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
	ID                            string
	Held                          bool // listed in passing.txt
	TranslateErr                  string
	Fleets, FleetErrors           int
	Resources, Decoded, Identical int
	Unknown, Invalid, Unresolved  int
	NotSerialized, Inconsistent   int
	Duplicates                    int
	Crashed                       bool
	Problems                      []string // every finding, for the report
	Fatal                         []string // the findings that fail the test
}

func (r *inputReport) add(fatal bool, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.Problems = append(r.Problems, msg)
	if fatal {
		r.Fatal = append(r.Fatal, msg)
	}
}

// strict (EGW_XDS_STRICT=1) fails unknown fields and ValidateAll errors in
// every input, not only in those passing.txt holds.
var strict = os.Getenv("EGW_XDS_STRICT") == "1"

func checkInput(in corpusInput, held bool) *inputReport {
	rep := &inputReport{ID: in.id, Held: held}
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
		rep.TranslateErr = err.Error()
		rep.add(held, "translate: %v", err)
		return rep
	}
	defer res.Close()
	for _, d := range res.Diagnostics() {
		if d.Code == egw.DiagUnsupported && strings.Contains(d.Message, "cannot be serialized") {
			rep.NotSerialized++
			rep.add(held && in.expectError == "", "%s", d.Message)
		}
	}
	for _, f := range res.Fleets() {
		rep.Fleets++
		// A resource Envoy would reject is dropped with "validation failed
		// for xds resource", as Envoy Gateway drops it before publishing:
		// that is the reference's behaviour for such input (its IR has
		// the invalid value too), so it is reported, not failed.
		dropped := strings.HasPrefix(f.Error, "validation failed for xds resource")
		if f.Error != "" {
			rep.FleetErrors++
			rep.add(held && in.expectError == "" && !dropped, "fleet %s: %s", f.Name, f.Error)
		}
		for _, t := range egw.XDSTypes {
			for _, r := range f.Resources(t) {
				rep.Resources++
				m, err := Decode(r)
				if err != nil {
					rep.Unknown++
					rep.add(held || strict, "fleet %s: %v", f.Name, err)
					continue
				}
				rep.Decoded++
				if b, err := (proto.MarshalOptions{Deterministic: true}).Marshal(m); err == nil && bytes.Equal(b, r.Proto) {
					rep.Identical++
				}
				invalid, unresolved := validate(m)
				if len(invalid) > 0 {
					rep.Invalid++
					rep.add(held || strict, "fleet %s: %s %q: %v", f.Name, t, r.Name, errors.Join(invalid...))
				}
				if len(unresolved) > 0 {
					rep.Unresolved++
					rep.add(held, "fleet %s: %s %q: %v", f.Name, t, r.Name, errors.Join(unresolved...))
				}
			}
		}
		// Two resources of a type with one name: reported, not failed, as
		// Envoy Gateway's goldens have them too (xds-ir tcp-route-tls-
		// terminate: two secrets envoy-gateway-tls-secret-1, one with an
		// OCSP staple); a snapshot keeps the last.
		last := map[string]egw.Resource{}
		dupDiffer := false
		for _, t := range egw.XDSTypes {
			for _, r := range f.Resources(t) {
				key := t.String() + " " + r.Name
				if prev, dup := last[key]; dup {
					rep.Duplicates++
					if !bytes.Equal(prev.Proto, r.Proto) {
						dupDiffer = true
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
			rep.Inconsistent++
			// a dropped resource leaves its references dangling, as in
			// Envoy Gateway; only a fleet without errors must be consistent.
			// Nor can one with two different resources of one name (an
			// input whose listeners share a name, as in Envoy Gateway's
			// envoyproxy-tls-settings): the snapshot keeps only the last.
			rep.add(held && in.expectError == "" && f.Error == "" && !dupDiffer,
				"fleet %s: snapshot not consistent: %v", f.Name, err)
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

	reports := runIsolated(t, inputs, held)

	type total struct{ inputs, held, withFleets, clean, resources, decoded, identical, unknown, invalid, unresolved, notSerialized, inconsistent, duplicates, crashed, translateErr, fleetErr int }
	byFam := map[string]*total{}
	var fams []string
	var table strings.Builder
	fmt.Fprintf(&table, "# libegw xDS through go-control-plane: one line per corpus input\n")
	fmt.Fprintf(&table, "# id held fleets resources decoded identical unknown invalid unresolved not-serialized inconsistent status\n")
	for _, r := range reports {
		fam := r.ID[:strings.LastIndexByte(r.ID, '/')]
		tt := byFam[fam]
		if tt == nil {
			tt = &total{}
			byFam[fam] = tt
			fams = append(fams, fam)
		}
		tt.inputs++
		if r.Held {
			tt.held++
		}
		if r.Fleets > 0 {
			tt.withFleets++
		}
		if len(r.Problems) == 0 && r.TranslateErr == "" && r.Resources > 0 {
			tt.clean++
		}
		tt.resources += r.Resources
		tt.decoded += r.Decoded
		tt.identical += r.Identical
		tt.unknown += r.Unknown
		tt.invalid += r.Invalid
		tt.unresolved += r.Unresolved
		tt.notSerialized += r.NotSerialized
		tt.inconsistent += r.Inconsistent
		tt.duplicates += r.Duplicates
		if r.Crashed {
			tt.crashed++
		}
		if r.TranslateErr != "" {
			tt.translateErr++
		}
		tt.fleetErr += r.FleetErrors
		status := "ok"
		if len(r.Fatal) > 0 {
			status = "FAIL"
		} else if len(r.Problems) > 0 {
			status = "problems"
		}
		fmt.Fprintf(&table, "%s %v %d %d %d %d %d %d %d %d %d %s\n", r.ID, r.Held, r.Fleets, r.Resources, r.Decoded,
			r.Identical, r.Unknown, r.Invalid, r.Unresolved, r.NotSerialized, r.Inconsistent, status)
		for _, p := range r.Problems {
			if len(p) > 600 {
				p = p[:600] + "..."
			}
			fmt.Fprintf(&table, "    %s\n", p)
		}
		if len(r.Fatal) == 0 && r.Crashed {
			t.Logf("WARNING %s (not in passing.txt, so not failing): libegw CRASHED on it; see the report", r.ID)
		}
		if len(r.Fatal) == 0 && (r.Unknown > 0 || r.Invalid > 0) {
			t.Logf("WARNING %s (not in passing.txt, so not failing): %d resources with unknown fields, %d failing ValidateAll; see the report",
				r.ID, r.Unknown, r.Invalid)
		}
		if len(r.Fatal) > 0 {
			for i, p := range r.Fatal {
				if i == 5 {
					t.Errorf("%s: ... and %d more", r.ID, len(r.Fatal)-5)
					break
				}
				if len(p) > 2000 {
					p = p[:2000] + "..."
				}
				t.Errorf("%s (held=%v): %s", r.ID, r.Held, p)
			}
		}
	}
	sort.Strings(fams)
	for _, fam := range fams {
		x := byFam[fam]
		t.Logf("%-22s inputs %4d (held %3d, with fleets %4d, clean %4d) resources %5d decoded %5d byte-identical re-marshal %5d | unknown-fields %d invalid %d unresolved-any %d not-serialized %d inconsistent %d duplicate-names %d crashed %d translate-errors %d fleet-errors %d",
			fam, x.inputs, x.held, x.withFleets, x.clean, x.resources, x.decoded, x.identical, x.unknown, x.invalid, x.unresolved, x.notSerialized, x.inconsistent, x.duplicates, x.crashed, x.translateErr, x.fleetErr)
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

// runIsolated checks the inputs in child processes (this test binary, in
// TestCorpusWorker), two at a time, so that an input on which libegw
// crashes is one failed input and not a dead test binary: the child logs
// each input before it starts, and the parent restarts after the crash.
func runIsolated(t *testing.T, inputs []corpusInput, held map[string]bool) []*inputReport {
	byID := map[string]int{}
	for i, in := range inputs {
		byID[in.id] = i
	}
	reports := make([]*inputReport, len(inputs))
	const workers = 2
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		var ids []string
		for i := w; i < len(inputs); i += workers {
			ids = append(ids, inputs[i].id)
		}
		wg.Add(1)
		go func(w int, ids []string) {
			defer wg.Done()
			for len(ids) > 0 {
				done, crashed, stderr := runWorker(t, w, ids)
				for _, r := range done {
					reports[byID[r.ID]] = r
				}
				if crashed == "" {
					if len(done) < len(ids) {
						t.Errorf("corpus worker stopped after %d of %d inputs: %s", len(done), len(ids), stderr)
					}
					return
				}
				rep := &inputReport{ID: crashed, Held: held[crashed], Crashed: true}
				rep.add(held[crashed], "libegw crashed translating it (the worker process died): %s", stderr)
				reports[byID[crashed]] = rep
				k := 0
				for k < len(ids) && ids[k] != crashed {
					k++
				}
				ids = ids[min(k+1, len(ids)):]
			}
		}(w, ids)
	}
	wg.Wait()
	for i, r := range reports {
		if r == nil {
			reports[i] = &inputReport{ID: inputs[i].id, Held: held[inputs[i].id]}
			reports[i].add(true, "not checked (worker failure)")
		}
	}
	return reports
}

// runWorker runs one child over ids; it returns the reports it wrote, the id
// it was on when it died ("" if it did not), and the tail of its output.
func runWorker(t *testing.T, w int, ids []string) ([]*inputReport, string, string) {
	dir := t.TempDir()
	list := filepath.Join(dir, "ids")
	out := filepath.Join(dir, "out.jsonl")
	if err := os.WriteFile(list, []byte(strings.Join(ids, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCorpusWorker$", "-test.count=1")
	cmd.Env = append(os.Environ(), "EGW_CORPUS_WORKER_IDS="+list, "EGW_CORPUS_WORKER_OUT="+out)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	runErr := cmd.Run()
	b, _ := os.ReadFile(out)
	var done []*inputReport
	started := ""
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" {
			continue
		}
		var msg struct {
			Start  string
			Report *inputReport
		}
		if err := json.Unmarshal([]byte(line), &msg); err != nil {
			continue
		}
		if msg.Start != "" {
			started = msg.Start
		}
		if msg.Report != nil {
			done = append(done, msg.Report)
			started = ""
		}
	}
	tail := buf.String()
	if i := strings.Index(tail, "SIGSEGV"); i >= 0 {
		tail = tail[i:]
	}
	if lines := strings.SplitN(tail, "\n", 4); len(lines) > 3 {
		tail = strings.Join(lines[:3], "; ")
	}
	tail = strings.TrimSpace(tail)
	if runErr == nil {
		started = ""
	} else if started == "" && len(done) < len(ids) {
		started = ids[len(done)] // died between inputs: blame the next one
	}
	return done, started, fmt.Sprintf("worker %d: %v: %s", w, runErr, tail)
}

// TestCorpusWorker is the child of runIsolated; it does nothing unless
// started by it.
func TestCorpusWorker(t *testing.T) {
	list, out := os.Getenv("EGW_CORPUS_WORKER_IDS"), os.Getenv("EGW_CORPUS_WORKER_OUT")
	if list == "" || out == "" {
		t.Skip("only run by TestCorpusXDSValidates")
	}
	b, err := os.ReadFile(list)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, id := range strings.Split(string(b), "\n") {
		want[id] = true
	}
	held := ratchet(t)
	f, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	for _, in := range discover(corpusDir()) {
		if !want[in.id] {
			continue
		}
		// unbuffered writes: a line written survives the process crashing
		enc.Encode(map[string]string{"Start": in.id})
		enc.Encode(map[string]*inputReport{"Report": checkInput(in, held[in.id])})
	}
}
