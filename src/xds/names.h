/* SPDX-License-Identifier: Apache-2.0 */
/* Resource names of the xds stage (see names.c). */
#ifndef EGW_XDS_NAMES_H
#define EGW_XDS_NAMES_H

#include "xds_int.h"

int64_t name_stat_port(xt *x, const egw_node *l);
const char *name_listener(xt *x, const egw_node *l, bool udp, bool quic);
const char *name_route_config(xt *x, const egw_node *hl);
const char *name_vhost_stat(xt *x, const char *host);
const char *name_tls_match(xt *x, const char *cluster, int i);
const char *name_locality(xt *x, const char *cluster, int i);
const char *name_ready_listener(xt *x, const char *addr, int64_t port);

#endif
