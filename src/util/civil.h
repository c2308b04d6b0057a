/* SPDX-License-Identifier: Apache-2.0 */
/* Calendar arithmetic for the times Kubernetes objects and certificates
 * carry (no clock, no time zone database: UTC only). */
#ifndef EGW_UTIL_CIVIL_H
#define EGW_UTIL_CIVIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
int64_t egw_days_from_civil(int64_t y, unsigned m, unsigned d);
/* The inverse: the date of day `days` since 1970-01-01. */
void egw_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* n decimal digits at s as a number; false when one is not a digit. */
bool egw_digits(const char *s, size_t n, unsigned *v);

#endif
