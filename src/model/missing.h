/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a bare manifest lacks, added the way Envoy Gateway's file loader
 * (egctl, the file provider) adds it: a Namespace for every namespace an
 * object lives in, and with add_missing_resources also a controller name for
 * GatewayClasses without one, a stand-in ClusterIP for Services without one,
 * and a Service for every Service backendRef that names none.
 */
#ifndef EGW_MODEL_MISSING_H
#define EGW_MODEL_MISSING_H

#include "resources.h"

void egw_resources_complete(egw_ctx *c, egw_resources *rs, bool add_missing);

#endif
