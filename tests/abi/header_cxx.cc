// SPDX-License-Identifier: Apache-2.0
// The public header from C++ (-std=c++11 -Wall -Wextra -pedantic -Werror).
#include <egw/egw.h>

int main()
{
	egw_options o;
	return egw_options_init(&o, EGW_OPTIONS_VERSION) == EGW_OK ? 0 : 1;
}
