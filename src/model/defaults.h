/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kubernetes CRD defaulting for the kinds libegw translates: the values the
 * API server would fill in (listener allowedRoutes, parentRef group/kind,
 * backendRef group/kind/weight, path match type ...), applied to each
 * object's node so the translation and the printed specs see them.
 */
#ifndef EGW_MODEL_DEFAULTS_H
#define EGW_MODEL_DEFAULTS_H

#include "resources.h"

void egw_defaults_apply(egw_ctx *c, egw_resources *rs);

#endif
