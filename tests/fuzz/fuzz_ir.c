/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: Envoy Gateway xDS IR documents (from = EGW_FROM_XDS_IR)
 * through the xds stage, the protobuf encoder and every rendering, plus the
 * round trip of the IR through the YAML and JSON emitters and the parser.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	egw_options o;
	egw_options_init(&o, EGW_OPTIONS_VERSION);
	o.from = EGW_FROM_XDS_IR;
	egw_input in = { { "fuzz-ir.yaml", 12 }, { (const char *)data, size } };
	egw_result *r = NULL;
	int rc = fuzz_translate(&r, &in, 1, &o);
	fuzz_exercise(r, size < 8192);
	if (rc == EGW_OK && egw_result_fleet_count(r) == 1)
		fuzz_roundtrip_ir(egw_result_fleet(r, 0));
	egw_result_free(r);
	return 0;
}
