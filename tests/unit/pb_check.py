#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Wire compatibility of libegw's protobuf codec with the real Envoy classes.

For every resource of the xds conformance goldens:
  1. libegw encodes the golden JSON (pb_tool encode); the bytes must parse
     with the xds-protos class and equal the message protobuf's own JSON
     parser builds from the same golden;
  2. protobuf serializes that message; libegw decodes the bytes
     (pb_tool decode) and the JSON must equal the golden (absent == null,
     false, 0, "", [], {}).
Also counts how many of libegw's encodings are byte-identical to protobuf's
deterministic serialization.  Resources that use fields newer than the
installed xds-protos cannot be parsed by it and are counted as skipped.

Usage: pb_check.py PB_TOOL CORPUS_DIR.  Exit 77 (skip) when xds-protos or
the corpus is missing.
"""
import glob
import importlib
import json
import os
import pkgutil
import subprocess
import sys

KINDS = {
    "listeners": "envoy.config.listener.v3.Listener",
    "routes": "envoy.config.route.v3.RouteConfiguration",
    "clusters": "envoy.config.cluster.v3.Cluster",
    "endpoints": "envoy.config.endpoint.v3.ClusterLoadAssignment",
    "secrets": "envoy.extensions.transport_sockets.tls.v3.Secret",
}


def empty(v):
    return v is None or v is False or v == 0 or v == "" or v == [] or v == {}


def same(a, b):
    if empty(a) and empty(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return all(same(a.get(k), b.get(k)) for k in set(a) | set(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    num = (int, float)
    if isinstance(a, (str,) + num) and isinstance(b, (str,) + num) and type(a) is not type(b):
        try:
            return float(a) == float(b)
        except ValueError:
            return False
    return a == b


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    tool, corpus = sys.argv[1], sys.argv[2]
    try:
        import yaml
        import envoy, xds, udpa, validate  # noqa: E401
        from google.protobuf import descriptor_pool, json_format
        from google.protobuf.message_factory import GetMessageClass
    except ImportError as e:
        print("pb_check: SKIP (%s; pip install xds-protos pyyaml)" % e)
        return 77
    if not os.path.isdir(os.path.join(corpus, "xds")):
        print("pb_check: SKIP (no corpus at %s)" % corpus)
        return 77
    for pkg in (envoy, xds, udpa, validate):
        for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            if m.name.endswith("_pb2"):
                importlib.import_module(m.name)
    pool = descriptor_pool.Default()

    n = ok = identical = skipped = 0
    failures = []
    files = sorted(glob.glob(os.path.join(corpus, "xds", "*xds-ir", "out", "*.yaml")))
    for path in files:
        kind = path.rsplit(".", 2)[-2]
        if kind not in KINDS:
            continue
        docs = yaml.safe_load(open(path)) or []
        cls = GetMessageClass(pool.FindMessageTypeByName(KINDS[kind]))
        ours = subprocess.run([tool, "encode", KINDS[kind], path], capture_output=True,
                              text=True, check=True).stdout.splitlines()
        if len(ours) != len(docs):
            failures.append("%s: %d encodings for %d resources" % (path, len(ours), len(docs)))
            continue
        refs = []
        for res, line in zip(docs, ours):
            n += 1
            name = os.path.basename(path) + ":" + str(res.get("name", res.get("clusterName")))
            try:
                ref = json_format.ParseDict(res, cls())
            except json_format.ParseError:
                skipped += 1
                refs.append(None)
                continue
            refs.append(ref)
            if line.startswith("ERR"):
                failures.append("%s: libegw: %s" % (name, line))
                continue
            try:
                got = cls.FromString(bytes.fromhex(line))
            except Exception as e:  # noqa: BLE001
                failures.append("%s: protobuf cannot parse libegw's bytes: %s" % (name, e))
                continue
            # an Any holds bytes, and protobuf's JSON parser packs a map or a
            # Struct inside an Any in JSON order where libegw sorts the keys
            # (deterministic output): compare through the JSON form then
            if got != ref and json_format.MessageToDict(got) != json_format.MessageToDict(ref):
                failures.append("%s: libegw's bytes differ from protobuf's message" % name)
                continue
            if got.SerializeToString(deterministic=True) == bytes.fromhex(line):
                identical += 1
            ok += 1
        # the other direction: protobuf's bytes through libegw's decoder
        todo = [(res, ref) for res, ref in zip(docs, refs) if ref is not None]
        if not todo:
            continue
        hexes = "".join(ref.SerializeToString(deterministic=True).hex() + "\n" for _, ref in todo)
        back = subprocess.run([tool, "decode", KINDS[kind]], input=hexes, capture_output=True,
                              text=True, check=True).stdout.splitlines()
        for (res, _), line in zip(todo, back):
            name = os.path.basename(path) + ":" + str(res.get("name", res.get("clusterName")))
            if line.startswith("ERR") or not same(json.loads(line), res):
                failures.append("%s: libegw's decoding of protobuf's bytes differs: %s"
                                % (name, line[:200]))
    for f in failures[:50]:
        print("pb_check: FAIL " + f)
    print("pb_check: %d resources: %d parse and equal with xds-protos (%d byte-identical), "
          "%d skipped (fields newer than xds-protos), %d failed"
          % (n, ok, identical, skipped, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
