/* SPDX-License-Identifier: Apache-2.0 */
/* The text writers live in src/util/text.h (every stage may render a tree,
 * e.g. for extension hooks); this header keeps the old path working. */
#include "../util/text.h"
