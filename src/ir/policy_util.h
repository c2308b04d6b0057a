/* SPDX-License-Identifier: Apache-2.0 */
/* Value helpers the policy kinds share (quantities, CIDRs, health checks). */
#ifndef EGW_IR_POLICY_UTIL_H
#define EGW_IR_POLICY_UTIL_H

#include "internal.h"

/* Kubernetes resource.Quantity as an integer: 0 ok, -1 not an integer
 * quantity, 1 overflows int64. */
int pol_quantity(const char *s, int64_t *out);
const char *pol_regex_quote(ir_tr *t, const char *s);
/* A quantity the way Kubernetes prints it ("1000G" is "1T"). */
const char *pol_quantity_canonical(ir_tr *t, const char *s);
/* {cidr, ip, maskLen, isIPv6} or NULL when invalid. */
egw_node *pol_cidr(ir_tr *t, const char *cidr);
/* Sorted, deduplicated copy of an array of strings or integers. */
egw_node *pol_sorted_unique(ir_tr *t, egw_node *arr, bool numeric);
/* Copies src[key] into dst[key] when src has it (the policies pass many
 * fields through to the IR unchanged). */
void pol_copy(ir_tr *t, egw_node *dst, const egw_node *src, const char *key);
/* HealthCheck IR from a spec.healthCheck, or NULL. */
egw_node *pol_health_check(ir_tr *t, egw_node *hc);
/* Copy of obj with every Go duration string reformatted the Go way. */
egw_node *pol_durations(ir_tr *t, egw_node *obj);
/* Lower-case hex SHA-256 of data. */
/* Copy without repeated strings (first kept). */
egw_node *pol_dedup_strings(ir_tr *t, egw_node *arr);

#endif
