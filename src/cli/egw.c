/* SPDX-License-Identifier: Apache-2.0 */
/*
 * egw: the command line.  `egw translate` mirrors `egctl x translate`: it
 * reads files (the I/O the library never does), calls egw_translate and
 * prints what was asked for.  Problems in the input go to stderr as
 * file:line:column lines; the good part is still printed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "egw/egw.h"

#define MAX_FILES 256
#define MAX_FLAGS 64

typedef struct buffer {
	char *data;
	size_t len;
} buffer;

static int read_all(FILE *f, buffer *b)
{
	size_t cap = 1 << 16;
	b->data = malloc(cap);
	b->len = 0;
	if (!b->data)
		return -1;
	for (;;) {
		if (b->len == cap) {
			cap *= 2;
			char *n = realloc(b->data, cap);
			if (!n)
				return -1;
			b->data = n;
		}
		size_t k = fread(b->data + b->len, 1, cap - b->len, f);
		b->len += k;
		if (k == 0)
			break;
	}
	return ferror(f) ? -1 : 0;
}

static int read_file(const char *path, buffer *b)
{
	if (!strcmp(path, "-"))
		return read_all(stdin, b);
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	int rc = read_all(f, b);
	fclose(f);
	return rc;
}

static void usage(FILE *out)
{
	fputs("usage: egw translate [flags]\n"
	      "  -f, --file FILE            input file, '-' for stdin (repeatable)\n"
	      "      --from KIND            gateway-api (default) | xds-ir\n"
	      "      --to LIST              comma list of gateway-api, ir, xds, ratelimit\n"
	      "                             (default: xds)\n"
	      "  -t, --type TYPE            all | bootstrap | listener | route | cluster |\n"
	      "                             endpoint | secret (default: all)\n"
	      "  -o, --output FMT           yaml (default) | json\n"
	      "      --config FILE          EnvoyGateway configuration (default: egctl's,\n"
	      "                             with the Backend and EnvoyPatchPolicy APIs on)\n"
	      "  -n, --namespace NS         namespace for objects without one, and of the\n"
	      "                             rate limit service (default envoy-gateway-system)\n"
	      "      --controller-namespace NS  where the control plane runs\n"
	      "                             (default envoy-gateway-system)\n"
	      "      --dns-domain D         default cluster.local\n"
	      "      --runtime-flag F       enable a runtime flag (repeatable)\n"
	      "      --add-missing-resources  add what a bare manifest lacks (Namespaces,\n"
	      "                             Services, ClusterIPs)\n"
	      "      --endpoint-routing     route Services through their EndpointSlices, as\n"
	      "                             the Envoy Gateway controller does (the default\n"
	      "                             with --config)\n"
	      "      --service-routing      route Services to their ClusterIPs, as egctl does\n"
	      "                             (the default without --config)\n"
	      "      --show-secrets         print xDS Secrets' private keys (redacted by default)\n"
	      "      --parse-first          parse with egw_parse, then translate the parsed\n"
	      "                             documents, as a host that re-translates on every\n"
	      "                             change does (same output; for testing that path)\n"
	      "      --now UNIX             the time certificates are checked at, in seconds\n"
	      "                             since 1970 (default: now; 0: no validity check)\n"
	      "  egw version                print the library version\n",
	      out);
}

static void print_diags(const egw_result *r)
{
	size_t n = egw_result_diagnostic_count(r);
	for (size_t i = 0; i < n; i++) {
		egw_diagnostic d;
		if (egw_result_diagnostic(r, i, &d))
			continue;
		const char *sev = d.severity == EGW_SEV_ERROR ? "error"
				  : d.severity == EGW_SEV_WARNING ? "warning" : "info";
		if (d.input_name.len && d.line)
			fprintf(stderr, "%s:%u:%u: ", d.input_name.data, d.line, d.column);
		else if (d.input_name.len)
			fprintf(stderr, "%s: ", d.input_name.data);
		else
			fputs("egw: ", stderr);
		fprintf(stderr, "%s: %s", sev, d.message.data);
		if (d.kind.len && d.name.len)
			fprintf(stderr, " [%s %s%s%s]", d.kind.data, d.namespace_.data,
				d.namespace_.len ? "/" : "", d.name.data);
		fputc('\n', stderr);
	}
}

static int translate_cmd(int argc, char **argv)
{
	const char *files[MAX_FILES];
	size_t nfiles = 0;
	const char *from = "gateway-api", *to = "xds", *type = "all", *output = "yaml";
	const char *config = NULL, *ns = NULL, *cns = NULL, *dns = NULL;
	egw_str flags[MAX_FLAGS];
	size_t nflags = 0;
	int add_missing = 0;
	int show_secrets = 0;
	int parse_first = 0;
	long long now = (long long)time(NULL); /* the CLI is a host: it may read the clock */
	/* -1: decided below.  With an EnvoyGateway configuration egw behaves as
	 * the Envoy Gateway controller (EndpointSlices); without one as egctl,
	 * which routes to ClusterIPs. */
	int service_routing = -1;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *val = NULL;
		const char *eq = NULL;
		char name[64];
		if (!strncmp(a, "--", 2) && (eq = strchr(a, '=')) && (size_t)(eq - a) < sizeof name) {
			memcpy(name, a, (size_t)(eq - a));
			name[eq - a] = 0;
			a = name;
			val = eq + 1;
		}
#define NEXT()                                                                   \
	do {                                                                     \
		if (!val) {                                                      \
			if (i + 1 >= argc) {                                     \
				fprintf(stderr, "egw: %s needs a value\n", a);   \
				return 2;                                        \
			}                                                        \
			val = argv[++i];                                         \
		}                                                                \
	} while (0)
		if (!strcmp(a, "-f") || !strcmp(a, "--file")) {
			NEXT();
			if (nfiles == MAX_FILES) {
				fprintf(stderr, "egw: too many files\n");
				return 2;
			}
			files[nfiles++] = val;
		} else if (!strcmp(a, "--from")) {
			NEXT();
			from = val;
		} else if (!strcmp(a, "--to")) {
			NEXT();
			to = val;
		} else if (!strcmp(a, "-t") || !strcmp(a, "--type")) {
			NEXT();
			type = val;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			NEXT();
			output = val;
		} else if (!strcmp(a, "--config")) {
			NEXT();
			config = val;
		} else if (!strcmp(a, "-n") || !strcmp(a, "--namespace")) {
			NEXT();
			ns = val;
		} else if (!strcmp(a, "--controller-namespace")) {
			NEXT();
			cns = val;
		} else if (!strcmp(a, "--dns-domain")) {
			NEXT();
			dns = val;
		} else if (!strcmp(a, "--runtime-flag")) {
			NEXT();
			if (nflags == MAX_FLAGS) {
				fprintf(stderr, "egw: too many runtime flags\n");
				return 2;
			}
			flags[nflags].data = val;
			flags[nflags++].len = strlen(val);
		} else if (!strcmp(a, "--add-missing-resources")) {
			add_missing = 1;
		} else if (!strcmp(a, "--endpoint-routing")) {
			service_routing = 0;
		} else if (!strcmp(a, "--service-routing")) {
			service_routing = 1;
		} else if (!strcmp(a, "--show-secrets")) {
			show_secrets = 1;
		} else if (!strcmp(a, "--parse-first")) {
			parse_first = 1;
		} else if (!strcmp(a, "--now")) {
			NEXT();
			char *e;
			errno = 0;
			now = strtoll(val, &e, 10);
			if (errno || *e || e == val || now < 0) {
				fprintf(stderr, "egw: --now wants seconds since 1970, not %s\n", val);
				return 2;
			}
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "egw: unknown flag %s\n", argv[i]);
			usage(stderr);
			return 2;
		}
#undef NEXT
	}

	egw_options opts;
	egw_options_init(&opts, EGW_OPTIONS_VERSION);
	if (!strcmp(from, "gateway-api"))
		opts.from = EGW_FROM_GATEWAY_API;
	else if (!strcmp(from, "xds-ir"))
		opts.from = EGW_FROM_XDS_IR;
	else {
		fprintf(stderr, "egw: --from must be gateway-api or xds-ir, not %s\n", from);
		return 2;
	}
	unsigned parts = 0;
	int want_ratelimit = 0;
	const char *p = to;
	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		if (n == 11 && !strncmp(p, "gateway-api", n))
			parts |= EGW_RENDER_GATEWAY_API;
		else if (n == 2 && !strncmp(p, "ir", n))
			parts |= EGW_RENDER_IR | EGW_RENDER_RESOURCES; /* egctl prints both */
		else if (n == 3 && !strncmp(p, "xds", n))
			parts |= EGW_RENDER_XDS;
		else if (n == 9 && !strncmp(p, "ratelimit", n))
			want_ratelimit = 1;
		else {
			fprintf(stderr, "egw: --to: unknown output %.*s\n", (int)n, p);
			return 2;
		}
		p = comma ? comma + 1 : NULL;
	}
	unsigned mask = 0;
	static const char *const types[] = { "listener", "route", "cluster", "endpoint", "secret" };
	if (!strcmp(type, "all")) {
		mask = 0;
	} else if (!strcmp(type, "bootstrap")) {
		mask = EGW_RENDER_BOOTSTRAP;
	} else {
		int found = 0;
		for (unsigned t = 0; t < 5; t++)
			if (!strcmp(type, types[t])) {
				mask = 1u << t;
				found = 1;
			}
		if (!found) {
			fprintf(stderr, "egw: --type must be all, bootstrap, listener, route, cluster, "
					"endpoint or secret, not %s\n", type);
			return 2;
		}
	}
	egw_format fmt;
	if (!strcmp(output, "yaml"))
		fmt = EGW_FORMAT_YAML;
	else if (!strcmp(output, "json"))
		fmt = EGW_FORMAT_JSON;
	else {
		fprintf(stderr, "egw: --output must be yaml or json, not %s\n", output);
		return 2;
	}
	if (show_secrets)
		fmt = (egw_format)(fmt | EGW_FORMAT_SHOW_SECRETS);
	if (!nfiles) {
		fprintf(stderr, "egw: no input; use -f FILE (or -f - for stdin)\n");
		return 2;
	}

	int rc = 1;
	buffer bufs[MAX_FILES];
	egw_input inputs[MAX_FILES];
	buffer cfg = { NULL, 0 };
	size_t loaded = 0;
	for (; loaded < nfiles; loaded++) {
		if (read_file(files[loaded], &bufs[loaded]) != 0) {
			fprintf(stderr, "egw: cannot read %s: %s\n", files[loaded], strerror(errno));
			free(bufs[loaded].data);
			goto out;
		}
		inputs[loaded].name.data = files[loaded];
		inputs[loaded].name.len = strlen(files[loaded]);
		inputs[loaded].data.data = bufs[loaded].data;
		inputs[loaded].data.len = bufs[loaded].len;
	}
	if (config) {
		if (read_file(config, &cfg) != 0) {
			fprintf(stderr, "egw: cannot read %s: %s\n", config, strerror(errno));
			goto out;
		}
		opts.config.data = cfg.data;
		opts.config.len = cfg.len;
	} else {
		/* what egctl's translator enables without a configuration */
		static const char egctl_config[] =
			"apiVersion: gateway.envoyproxy.io/v1alpha1\n"
			"kind: EnvoyGateway\n"
			"extensionApis: {enableBackend: true, enableEnvoyPatchPolicy: true}\n";
		opts.config.data = egctl_config;
		opts.config.len = sizeof egctl_config - 1;
	}
	const char *def_ns = ns ? ns : "envoy-gateway-system";
	opts.default_namespace.data = def_ns;
	opts.default_namespace.len = strlen(def_ns);
	opts.ratelimit_namespace.data = def_ns;
	opts.ratelimit_namespace.len = strlen(def_ns);
	if (cns) {
		opts.controller_namespace.data = cns;
		opts.controller_namespace.len = strlen(cns);
	}
	if (dns) {
		opts.dns_domain.data = dns;
		opts.dns_domain.len = strlen(dns);
	}
	opts.runtime_flags = flags;
	opts.runtime_flags_len = nflags;
	opts.add_missing_resources = add_missing;
	opts.service_routing = service_routing >= 0 ? service_routing : config == NULL;
	/* files read without --config get what the API server would have added,
	 * as egctl's loader does */
	opts.crd_defaults = config == NULL;
	opts.now_unix = (int64_t)now;

	egw_result *r = NULL;
	int trc;
	if (parse_first) {
		egw_documents *docs = NULL;
		trc = egw_parse(&docs, inputs, nfiles, &opts);
		if (trc == 0)
			trc = egw_translate_documents(&r, docs, &opts);
		egw_documents_free(docs); /* the result keeps what it needs */
	} else {
		trc = egw_translate(&r, inputs, nfiles, &opts);
	}
	if (r)
		print_diags(r);
	if (trc < 0) {
		fprintf(stderr, "egw: %s\n", egw_strerror(trc));
		egw_result_free(r);
		goto out;
	}
	/* any fleet whose xds translation failed fails the command, and so does
	 * a gateway-api input without a GatewayClass, as with egctl */
	int failed = 0, fleet_failed = 0;
	for (size_t i = 0; opts.from == EGW_FROM_GATEWAY_API && i < egw_result_diagnostic_count(r); i++) {
		egw_diagnostic d;
		if (egw_result_diagnostic(r, i, &d) == 0 && d.code == EGW_D_MISSING &&
		    d.kind.len == 12 && !memcmp(d.kind.data, "GatewayClass", 12))
			failed = 1;
	}
	for (size_t i = 0; i < egw_result_fleet_count(r); i++) {
		egw_str e = egw_fleet_error(egw_result_fleet(r, i));
		if (e.len && (parts & EGW_RENDER_XDS || opts.from == EGW_FROM_XDS_IR)) {
			fprintf(stderr, "egw: %s\n", e.data);
			fleet_failed = 1; /* still print what did translate, then fail */
		}
	}
	if (failed) {
		egw_result_free(r);
		goto out;
	}
	egw_str text = { NULL, 0 };
	int xrc = 0;
	if (want_ratelimit) {
		const egw_fleet *f = egw_result_fleet(r, 0);
		xrc = f ? egw_fleet_render_ratelimit(f, fmt, &text) : EGW_ENOTFOUND;
	} else if (opts.from == EGW_FROM_XDS_IR) {
		const egw_fleet *f = egw_result_fleet(r, 0);
		xrc = f ? egw_fleet_render_xds(f, mask, fmt, &text) : EGW_ENOTFOUND;
	} else {
		xrc = egw_result_render(r, parts, mask, fmt, &text);
	}
	if (xrc == 0) {
		fwrite(text.data, 1, text.len, stdout);
		rc = fleet_failed ? 1 : 0;
	} else if (xrc < 0 && xrc != -1) {
		fprintf(stderr, "egw: %s\n", egw_strerror(xrc));
	}
	egw_result_free(r);
out:
	for (size_t i = 0; i < loaded; i++)
		free(bufs[i].data);
	free(cfg.data);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "translate"))
		return translate_cmd(argc - 2, argv + 2);
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("egw %s\n", egw_version());
		return 0;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "egw: unknown command %s\n", argv[1]);
	usage(stderr);
	return 2;
}
