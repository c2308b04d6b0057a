/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the EnvoyGateway configuration (egw_options.config), with a
 * fixed manifest that touches what the configuration steers: a Gateway with
 * HTTP and HTTPS listeners, an HTTPRoute, a Backend, a policy and an
 * extension kind.
 */
#include "fuzz.h"

static const char manifest[] =
	"apiVersion: gateway.networking.k8s.io/v1\n"
	"kind: GatewayClass\n"
	"metadata: {name: eg}\n"
	"spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n"
	"---\n"
	"apiVersion: gateway.networking.k8s.io/v1\n"
	"kind: Gateway\n"
	"metadata: {name: gw, namespace: default}\n"
	"spec:\n"
	"  gatewayClassName: eg\n"
	"  listeners:\n"
	"  - {name: http, protocol: HTTP, port: 80}\n"
	"  - name: tcp\n"
	"    protocol: TCP\n"
	"    port: 9000\n"
	"---\n"
	"apiVersion: gateway.networking.k8s.io/v1\n"
	"kind: HTTPRoute\n"
	"metadata: {name: r, namespace: default}\n"
	"spec:\n"
	"  parentRefs: [{name: gw, sectionName: http}]\n"
	"  rules:\n"
	"  - matches: [{path: {type: PathPrefix, value: /}}]\n"
	"    backendRefs:\n"
	"    - {name: svc, port: 8080}\n"
	"    - {group: gateway.envoyproxy.io, kind: Backend, name: be}\n"
	"    filters:\n"
	"    - type: ExtensionRef\n"
	"      extensionRef: {group: example.io, kind: Foo, name: foo}\n"
	"---\n"
	"apiVersion: gateway.envoyproxy.io/v1alpha1\n"
	"kind: Backend\n"
	"metadata: {name: be, namespace: default}\n"
	"spec:\n"
	"  endpoints: [{fqdn: {hostname: be.example.com, port: 443}}]\n"
	"---\n"
	"apiVersion: example.io/v1\n"
	"kind: Foo\n"
	"metadata: {name: foo, namespace: default}\n"
	"spec: {x: 1}\n"
	"---\n"
	"apiVersion: gateway.envoyproxy.io/v1alpha1\n"
	"kind: BackendTrafficPolicy\n"
	"metadata: {name: btp, namespace: default}\n"
	"spec:\n"
	"  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]\n"
	"  rateLimit:\n"
	"    type: Global\n"
	"    global:\n"
	"      rules: [{limit: {requests: 10, unit: Second}}]\n"
	"---\n"
	"apiVersion: v1\n"
	"kind: Service\n"
	"metadata: {name: svc, namespace: default}\n"
	"spec:\n"
	"  clusterIP: 10.0.0.1\n"
	"  ports: [{name: http, port: 8080, protocol: TCP}]\n"
	"---\n"
	"apiVersion: discovery.k8s.io/v1\n"
	"kind: EndpointSlice\n"
	"metadata:\n"
	"  name: svc-1\n"
	"  namespace: default\n"
	"  labels: {kubernetes.io/service-name: svc}\n"
	"addressType: IPv4\n"
	"ports: [{name: http, port: 8080, protocol: TCP}]\n"
	"endpoints: [{addresses: [10.1.0.1], conditions: {ready: true}}]\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	egw_options o;
	egw_options_init(&o, EGW_OPTIONS_VERSION);
	o.config.data = (const char *)data;
	o.config.len = size;
	egw_input in = { { "manifest.yaml", 13 }, { manifest, sizeof manifest - 1 } };
	egw_result *r = NULL;
	fuzz_translate(&r, &in, 1, &o);
	fuzz_exercise(r, 0);
	egw_result_free(r);
	return 0;
}
