/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry of every message protoc-c compiled from proto/: full proto
 * name -> descriptor, sorted bytewise by name (generated at build time by
 * proto/gen-registry.py).  Read-only, so safe to share between threads.
 */
#ifndef EGW_PB_REGISTRY_H
#define EGW_PB_REGISTRY_H

#include <stddef.h>
#include <protobuf-c/protobuf-c.h>

typedef struct egw_pb_reg_entry {
	const char *name;
	const ProtobufCMessageDescriptor *desc;
} egw_pb_reg_entry;

extern const egw_pb_reg_entry egw_pb_registry[];
extern const size_t egw_pb_registry_len;

#endif
