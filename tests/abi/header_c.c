/* SPDX-License-Identifier: Apache-2.0 */
/* The public header alone, compiled with -std=c99 -Wall -Wextra -pedantic -Werror. */
#include <egw/egw.h>

int main(void)
{
	egw_options o = EGW_OPTIONS_INIT;
	return o.version == EGW_OPTIONS_VERSION ? 0 : 1;
}
