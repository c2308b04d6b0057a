/* SPDX-License-Identifier: Apache-2.0 */
/* Smaller pieces: tracing cluster, proxy protocol, health checks, upstream
 * HTTP protocol options, validation. */
#include <string.h>

#include "xds_int.h"






