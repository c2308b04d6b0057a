// SPDX-License-Identifier: Apache-2.0

package egwxds

import "google.golang.org/protobuf/encoding/protowire"

func consumeTag(b []byte) (protowire.Number, protowire.Type, int) { return protowire.ConsumeTag(b) }

func consumeValue(typ protowire.Type, b []byte) int {
	return protowire.ConsumeFieldValue(0, typ, b)
}
