// SPDX-License-Identifier: Apache-2.0

package egw

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// goEnums is every Go constant mirroring a C enumerator.
var goEnums = map[string]int64{
	"EGW_OK": int64(OK), "EGW_ERROR": int64(ErrFailed), "EGW_ENOMEM": int64(ErrNoMem),
	"EGW_EINVAL": int64(ErrInvalid), "EGW_ELIMIT": int64(ErrLimit), "EGW_EPARSE": int64(ErrParse),
	"EGW_EHOOK": int64(ErrHook), "EGW_ENOTFOUND": int64(ErrNotFound),
	"EGW_EVERSION": int64(ErrVersion), "EGW_ECONFIG": int64(ErrConfig),

	"EGW_FROM_GATEWAY_API": int64(FromGatewayAPI), "EGW_FROM_XDS_IR": int64(FromXDSIR),

	"EGW_HOOK_POST_ROUTE": int64(HookPostRoute), "EGW_HOOK_POST_VIRTUAL_HOST": int64(HookPostVirtualHost),
	"EGW_HOOK_POST_HTTP_LISTENER": int64(HookPostHTTPListener),
	"EGW_HOOK_POST_CLUSTER":       int64(HookPostCluster), "EGW_HOOK_POST_TRANSLATE": int64(HookPostTranslate),
	"EGW_HOOK_POST_ENDPOINTS": int64(HookPostEndpoints), "EGW_HOOK_POINT_COUNT": int64(hookPointCount),

	"EGW_XDS_LISTENER": int64(XDSListener), "EGW_XDS_ROUTE": int64(XDSRoute),
	"EGW_XDS_CLUSTER": int64(XDSCluster), "EGW_XDS_ENDPOINT": int64(XDSEndpoint),
	"EGW_XDS_SECRET": int64(XDSSecret), "EGW_XDS_TYPE_COUNT": int64(XDSTypeCount),

	"EGW_FORMAT_JSON": int64(FormatJSON), "EGW_FORMAT_JSON_COMPACT": int64(FormatJSONCompact),
	"EGW_FORMAT_YAML": int64(FormatYAML), "EGW_FORMAT_SHOW_SECRETS": int64(FormatShowSecrets),

	"EGW_SEV_ERROR": int64(SevError), "EGW_SEV_WARNING": int64(SevWarning), "EGW_SEV_INFO": int64(SevInfo),

	"EGW_D_SYNTAX": int64(DiagSyntax), "EGW_D_UNKNOWN_KIND": int64(DiagUnknownKind),
	"EGW_D_UNKNOWN_FIELD": int64(DiagUnknownField), "EGW_D_TYPE": int64(DiagType),
	"EGW_D_MISSING": int64(DiagMissing), "EGW_D_LIMIT": int64(DiagLimit),
	"EGW_D_DUPLICATE": int64(DiagDuplicate), "EGW_D_INVALID": int64(DiagInvalid),
	"EGW_D_REJECTED": int64(DiagRejected), "EGW_D_UNSUPPORTED": int64(DiagUnsupported),
	"EGW_D_HOOK": int64(DiagHook),

	"EGW_RENDER_GATEWAY_API": int64(RenderGatewayAPI), "EGW_RENDER_IR": int64(RenderIR),
	"EGW_RENDER_XDS": int64(RenderXDS), "EGW_RENDER_RESOURCES": int64(RenderResources), "EGW_RENDER_BOOTSTRAP": 1 << XDSBootstrap,

	"EGW_OPTIONS_VERSION": OptionsVersion,
}

// The Go constants equal the C enumerators, and every enumerator of the
// header has a Go constant (so an enum added in C fails here until the
// binding has it).
func TestEnumsMatchC(t *testing.T) {
	c := cEnums()
	for name, v := range c {
		g, ok := goEnums[name]
		if !ok {
			t.Errorf("%s has no Go constant", name)
		} else if g != v {
			t.Errorf("%s: Go %d, C %d", name, g, v)
		}
	}
	for name := range goEnums {
		if _, ok := c[name]; !ok {
			t.Errorf("Go constant for %s, which cEnums lacks", name)
		}
	}
	hdr := os.Getenv("EGW_SOURCE_ROOT")
	if hdr == "" {
		hdr = filepath.Join("..", "..")
	}
	text, err := os.ReadFile(filepath.Join(hdr, "include", "egw", "egw.h"))
	if err != nil {
		t.Logf("header not found (%v): checked the compiled values only", err)
		return
	}
	// enumerators, and #defines of numbers (EGW_OPTIONS_VERSION,
	// EGW_RENDER_BOOTSTRAP (1u << 5), ...)
	re := regexp.MustCompile(`(?m)^\s*(EGW_[A-Z0-9_]+)\s*=\s*-?[0-9]+|^#define\s+(EGW_[A-Z0-9_]+)\s+\(?[0-9]`)
	seen := 0
	for _, m := range re.FindAllStringSubmatch(string(text), -1) {
		seen++
		name := m[1] + m[2]
		if _, ok := goEnums[name]; !ok {
			t.Errorf("egw.h constant %s has no Go constant", name)
		}
	}
	if seen < 40 {
		t.Errorf("found only %d enumerators in egw.h: is the pattern stale?", seen)
	}
}

func TestVersionAndStrerror(t *testing.T) {
	if v := Version(); !regexp.MustCompile(`^\d+\.\d+\.\d+`).MatchString(v) {
		t.Errorf("Version() = %q", v)
	}
	if ErrNoMem.Error() != "out of memory" {
		t.Errorf("ErrNoMem.Error() = %q", ErrNoMem.Error())
	}
}

func TestTranslate(t *testing.T) {
	r, err := Translate([][]byte{readTestdata(t, "gateway.yaml")}, &Options{DNSDomain: "cluster.local"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, d := range r.Diagnostics() {
		t.Logf("diagnostic: %s", d)
	}
	fleets := r.Fleets()
	if len(fleets) != 1 || fleets[0].Name != "apps/web" {
		t.Fatalf("fleets = %v", fleets)
	}
	f := fleets[0]
	if g := r.Fleet("apps/web"); g == nil || g.Version != f.Version {
		t.Errorf("Fleet(apps/web) = %v", g)
	}
	if r.Fleet("nope") != nil {
		t.Error("Fleet(nope) is not nil")
	}
	if f.Error != "" {
		t.Logf("fleet error (the xds stage is in progress): %s", f.Error)
	}
	total := 0
	for _, typ := range XDSTypes {
		rs := f.Resources(typ)
		if len(rs) != f.ResourceCount(typ) {
			t.Errorf("%s: %d resources, count %d", typ, len(rs), f.ResourceCount(typ))
		}
		for i, res := range rs {
			total++
			if !strings.HasPrefix(res.TypeURL, "type.googleapis.com/envoy.") || res.Name == "" {
				t.Errorf("%s resource %d: %q %q", typ, i, res.Name, res.TypeURL)
			}
			if i > 0 && rs[i-1].Name >= res.Name {
				t.Errorf("%s not sorted: %q then %q", typ, rs[i-1].Name, res.Name)
			}
			if len(res.VersionString()) != 16 {
				t.Errorf("VersionString %q", res.VersionString())
			}
		}
	}
	t.Logf("fleet %s version %s: %d resources", f.Name, f.VersionString(), total)

	js, err := f.RenderXDS([]XDSType{XDSListener, XDSRoute}, FormatJSONCompact)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(js, []byte(`{"listeners":[`)) || bytes.Contains(js, []byte(`"clusters"`)) {
		t.Errorf("RenderXDS = %.200s", js)
	}
	if _, err := f.RenderXDSIR(FormatYAML); err != nil {
		t.Error(err)
	}
	if _, err := f.RenderInfraIR(FormatJSON); err != nil && !errors.Is(err, ErrNotFound) {
		t.Error(err)
	}
	all, err := r.Render(RenderGatewayAPI|RenderXDS, nil, FormatYAML)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(all, []byte("httpRoutes:")) || !bytes.Contains(all, []byte("xds:")) {
		t.Errorf("Render = %.300s", all)
	}

	var route *Status
	statuses := r.Statuses()
	for i, s := range statuses {
		if s.Kind == "HTTPRoute" && s.Namespace == "apps" && s.Name == "shop" {
			route = &statuses[i]
		}
	}
	if route == nil || !bytes.Contains(route.JSON, []byte(`"Accepted"`)) {
		t.Errorf("HTTPRoute apps/shop status = %+v", route)
	}
}

func TestGatewayInfra(t *testing.T) {
	r, err := Translate([][]byte{readTestdata(t, "gateway.yaml")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	err = r.SetGatewayInfra(GatewayInfra{Namespace: "apps", Name: "web", Addresses: []string{"192.0.2.7", "lb.example.com"}, Ready: true})
	if err != nil {
		t.Fatal(err)
	}
	var gw []byte
	for _, s := range r.Statuses() {
		if s.Kind == "Gateway" && s.Name == "web" {
			gw = s.JSON
		}
	}
	for _, want := range []string{`"192.0.2.7"`, `"Hostname"`, `"Programmed"`} {
		if !bytes.Contains(gw, []byte(want)) {
			t.Errorf("Gateway status lacks %s: %s", want, gw)
		}
	}
	err = r.SetGatewayInfra(GatewayInfra{Namespace: "apps", Name: "missing"})
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("SetGatewayInfra(missing) = %v, want ErrNotFound", err)
	}
}

func TestErrors(t *testing.T) {
	big := bytes.Repeat([]byte("# padding\n"), 100)
	_, err := Translate([][]byte{big}, &Options{Limits: Limits{MaxInputBytes: 64}})
	var e *Error
	if !errors.Is(err, ErrLimit) || !errors.As(err, &e) || e.Code != ErrLimit {
		t.Fatalf("over the limit: %v", err)
	}
	if len(e.Diagnostics) == 0 || e.Diagnostics[0].Code != DiagLimit {
		t.Errorf("limit diagnostics = %v", e.Diagnostics)
	}
	if !strings.Contains(err.Error(), "limit") {
		t.Errorf("message %q", err)
	}

	_, err = Translate([][]byte{[]byte("kind: [unclosed\n")}, nil)
	if !errors.Is(err, ErrParse) {
		t.Errorf("unreadable input: %v, want ErrParse", err)
	}

	_, err = Translate(nil, &Options{Config: []byte("kind: Gateway\n")})
	if !errors.Is(err, ErrConfig) {
		t.Errorf("bad config: %v, want ErrConfig", err)
	}

	_, err = Translate(nil, &Options{From: From(7)})
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("bad From: %v, want ErrInvalid", err)
	}

	_, err = Translate(nil, &Options{Hooks: map[HookPoint]Hook{HookPoint(9): func(HookPoint, []byte, []byte) ([]byte, error) { return nil, nil }}})
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("bad hook point: %v, want ErrInvalid", err)
	}

	// Input problems are data, not errors.
	r, err := Translate([][]byte{[]byte("apiVersion: v1\nkind: Nonsense\nmetadata: {name: x}\n"), nil}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if len(r.Diagnostics()) == 0 {
		t.Error("no diagnostic for an unknown kind")
	}
}

func TestClose(t *testing.T) {
	r, err := Translate([][]byte{readTestdata(t, "gateway.yaml")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := r.Fleet("apps/web")
	if f == nil {
		t.Fatal("no fleet apps/web")
	}
	var keep []Resource
	for _, typ := range XDSTypes {
		keep = append(keep, f.Resources(typ)...)
	}
	r.Close()
	r.Close()
	if r.Fleets() != nil || r.Statuses() != nil || r.Diagnostics() != nil || f.Resources(XDSListener) != nil {
		t.Error("a closed result still answers")
	}
	if _, err := f.RenderXDS(nil, FormatJSON); !errors.Is(err, ErrClosed) {
		t.Errorf("RenderXDS after Close: %v", err)
	}
	if _, err := r.Render(RenderXDS, nil, FormatJSON); !errors.Is(err, ErrClosed) {
		t.Errorf("Render after Close: %v", err)
	}
	runtime.GC()
	for _, res := range keep { // copies: still readable after the arena is gone
		_ = bytes.Count(res.Proto, []byte{0})
	}
}

// Results dropped without Close are freed by their finalizer; a fleet keeps
// its result alive.
func TestFinalizer(t *testing.T) {
	in := readTestdata(t, "gateway.yaml")
	var fleets []*Fleet
	for i := 0; i < 50; i++ {
		r, err := Translate([][]byte{in}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if i%10 == 0 {
			fleets = append(fleets, r.Fleets()...)
		}
	}
	runtime.GC()
	runtime.GC()
	for _, f := range fleets {
		if _, err := f.RenderXDS(nil, FormatJSONCompact); err != nil {
			t.Fatal(err)
		}
	}
}

func TestConcurrent(t *testing.T) {
	in := readTestdata(t, "gateway.yaml")
	ref, err := Translate([][]byte{in}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	want := ref.Fleets()[0].Version
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				r, err := Translate([][]byte{in}, nil)
				if err != nil {
					errs <- err
					return
				}
				if v := r.Fleets()[0].Version; v != want {
					errs <- fmt.Errorf("version %x, want %x", v, want)
				}
				r.Close()
				// concurrent reads and renders of one shared result
				f := ref.Fleets()[0]
				if _, err := f.RenderXDS(nil, FormatJSON); err != nil {
					errs <- err
				}
				_ = f.Resources(XDSCluster)
				_ = ref.Statuses()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestHookTrampoline(t *testing.T) {
	st := &callState{}
	st.hooks[HookPostRoute] = func(p HookPoint, res, ctx []byte) ([]byte, error) {
		if p != HookPostRoute || string(res) != `{"name":"r"}` || string(ctx) != `{}` {
			return nil, fmt.Errorf("got %v %s %s", p, res, ctx)
		}
		return []byte(`{"name":"r2"}`), nil
	}
	sentinel := errors.New("no thanks")
	st.hooks[HookPostCluster] = func(HookPoint, []byte, []byte) ([]byte, error) { return nil, sentinel }
	st.hooks[HookPostTranslate] = func(HookPoint, []byte, []byte) ([]byte, error) { panic("boom") }
	st.hooks[HookPostVirtualHost] = func(HookPoint, []byte, []byte) ([]byte, error) { return nil, nil }

	rc, out, _ := callViaC(st, HookPostRoute, []byte(`{"name":"r"}`), []byte(`{}`))
	if rc != 0 || string(out) != `{"name":"r2"}` {
		t.Errorf("PostRoute: rc %d out %q", rc, out)
	}
	rc, out, _ = callViaC(st, HookPostVirtualHost, []byte(`{}`), []byte(`{}`))
	if rc != 0 || out != nil {
		t.Errorf("keep: rc %d out %q", rc, out)
	}
	if rc, _, _ = callViaC(st, HookPostCluster, nil, nil); rc == 0 {
		t.Error("a failing hook returned 0")
	}
	if rc, _, _ = callViaC(st, HookPostTranslate, nil, nil); rc == 0 {
		t.Error("a panicking hook returned 0")
	}
	errs := st.allErrs()
	if len(errs) != 2 || !errors.Is(errs[0], sentinel) {
		t.Fatalf("errors = %v", errs)
	}
	var ce *CallbackError
	if !errors.As(errs[1], &ce) || ce.Panic != "boom" || ce.Point != HookPostTranslate {
		t.Errorf("panic error = %#v", errs[1])
	}
	// Wrapped in an *Error, both the code and the hook's error are visible.
	e := &Error{Code: ErrHook, Op: "translate", Callback: errs[0]}
	if !errors.Is(e, ErrHook) || !errors.Is(e, sentinel) {
		t.Errorf("errors.Is on %v", e)
	}
}

func TestFetchTrampoline(t *testing.T) {
	st := &callState{fetch: func(url string) (int, []byte, error) {
		if url == "https://issuer.example/.well-known/openid-configuration" {
			return 200, []byte(`{"issuer":"https://issuer.example"}`), nil
		}
		if url == "https://panic.example/" {
			panic(url)
		}
		return 0, nil, errors.New("offline")
	}}
	rc, body, status := callViaC(st, -1, []byte("https://issuer.example/.well-known/openid-configuration"), nil)
	if rc != 0 || status != 200 || !bytes.Contains(body, []byte("issuer")) {
		t.Errorf("fetch: rc %d status %d body %q", rc, status, body)
	}
	if rc, _, _ = callViaC(st, -1, []byte("https://down.example/"), nil); rc == 0 {
		t.Error("a failing fetch returned 0")
	}
	if rc, _, _ = callViaC(st, -1, []byte("https://panic.example/"), nil); rc == 0 {
		t.Error("a panicking fetch returned 0")
	}
	if n := len(st.allErrs()); n != 2 {
		t.Errorf("%d errors recorded", n)
	}
}

// Hooks and a fetcher given to Translate: whatever libegw calls, a panic
// never escapes, and the translation still succeeds with fail-open.
func TestHooksThroughTranslate(t *testing.T) {
	calls := 0
	var mu sync.Mutex
	hook := func(p HookPoint, res, ctx []byte) ([]byte, error) {
		mu.Lock()
		calls++
		mu.Unlock()
		panic("hook " + p.String())
	}
	opts := &Options{
		HooksFailOpen: true,
		Hooks: map[HookPoint]Hook{HookPostRoute: hook, HookPostVirtualHost: hook,
			HookPostHTTPListener: hook, HookPostCluster: hook, HookPostTranslate: hook},
		Fetcher: func(string) (int, []byte, error) { return 0, nil, errors.New("offline") },
	}
	r, err := Translate([][]byte{readTestdata(t, "gateway.yaml")}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if len(r.Fleets()) != 1 {
		t.Errorf("fleets %d", len(r.Fleets()))
	}
	if calls == 0 {
		t.Log("libegw called no hook (the extension stage is not there yet)")
	} else if len(r.CallbackErrors()) != calls {
		t.Errorf("%d hook calls, %d errors", calls, len(r.CallbackErrors()))
	}
}

func TestOptions(t *testing.T) {
	in := []byte(`apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
spec: {}
`)
	r, err := TranslateInputs([]Input{{Name: "routes.yaml", Data: in}}, &Options{
		DefaultNamespace:    Ptr("team-a"),
		ControllerNamespace: Ptr(""),
		RuntimeFlags:        []string{"XDSNameSchemeV2"},
		AddMissingResources: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out, err := r.Render(RenderGatewayAPI, nil, FormatJSONCompact)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("render: %.300s", out)
	for _, d := range r.Diagnostics() {
		if d.Input != 0 && d.Input != -1 && d.InputName != "<config>" {
			t.Errorf("diagnostic for input %d: %s", d.Input, d)
		}
	}
}

func TestParseOnceTranslateMany(t *testing.T) {
	docs, err := Parse([]Input{{Name: "gateway.yaml", Data: readTestdata(t, "gateway.yaml")}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer docs.Close()
	if docs.Len() != 5 {
		t.Errorf("Len() = %d, want 5 documents", docs.Len())
	}
	ref, err := Translate([][]byte{readTestdata(t, "gateway.yaml")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	want := ref.Fleets()[0].Version
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				r, err := docs.Translate(&Options{DNSDomain: "cluster.local"})
				if err != nil {
					t.Error(err)
					return
				}
				if f := r.Fleet("apps/web"); f == nil || f.Version != want {
					t.Errorf("fleet %v, want version %x", f, want)
				}
				r.Close()
			}
		}()
	}
	wg.Wait()
	docs.Close()
	if _, err := docs.Translate(nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Translate after Close: %v", err)
	}
}

func TestRenderBootstrap(t *testing.T) {
	r, err := Translate([][]byte{readTestdata(t, "gateway.yaml")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out, err := r.Render(RenderXDS, []XDSType{XDSBootstrap}, FormatJSONCompact)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte("BootstrapConfigDump")) || bytes.Contains(out, []byte("ListenersConfigDump")) {
		t.Errorf("bootstrap render: %.300s", out)
	}
}
