#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Runs the IR driver over the gatewayapi conformance cases and compares
status / xdsIR / infraIR with the goldens (semantic rules of
shared/conformance/README.md).  Prints pass counts overall and per name
prefix family; --case NAME prints that case's first differences."""
import argparse, json, os, subprocess, sys
from concurrent.futures import ThreadPoolExecutor
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
CONF = os.path.join(ROOT, '..', 'shared', 'conformance')
FAMS = ['gateway-', 'httproute-', 'grpcroute-', 'tlsroute-', 'tcproute-', 'udproute-',
        'listenerset-', 'backend-', 'backendtlspolicy-', 'mergebackends-', 'merge-']

def empty(v):
    return v is None or v is False or v == 0 and not isinstance(v, bool) and isinstance(v, (int, float)) \
        or v == '' or v == [] or v == {}

def norm(v, key=None):
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if k == 'lastTransitionTime':
                continue
            x = norm(x, k)
            if not empty(x):
                out[k] = x
        return out
    if isinstance(v, list):
        items = [norm(x) for x in v]
        if key == 'conditions':
            items = sorted(items, key=lambda c: json.dumps(c, sort_keys=True))
        return items
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v

def diff(a, b, path, out, limit=20):
    if len(out) >= limit:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a:
                out.append(f'{path}.{k}: missing (want {json.dumps(b[k])[:300]})')
            elif k not in b:
                out.append(f'{path}.{k}: unexpected {json.dumps(a[k])[:300]}')
            else:
                diff(a[k], b[k], f'{path}.{k}', out, limit)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f'{path}: len {len(a)} want {len(b)}')
        for i in range(min(len(a), len(b))):
            diff(a[i], b[i], f'{path}[{i}]', out, limit)
    elif a != b:
        out.append(f'{path}: got {json.dumps(a)[:300]} want {json.dumps(b)[:300]}')

def run_case(d, name, driver, cns):
    inp = os.path.join(d, name + '.in.yaml')
    cfg = os.path.join(d, name + '.config.yaml')
    with open(os.path.join(d, name + '.out.yaml')) as f:
        want = yaml.safe_load(f) or {}
    try:
        p = subprocess.run([driver, inp, cfg, cns], capture_output=True, timeout=60)
        got = json.loads(p.stdout) if p.returncode == 0 else None
    except Exception:
        got = None
    if got is None:
        return name, False, False, False, ['driver failed']
    diffs = []
    st_ok = True
    for key, objs in want.items():
        if key in ('xdsIR', 'infraIR'):
            continue
        if isinstance(objs, dict):
            objs = [objs]
        gl = got.get(key, [])
        if isinstance(gl, dict):
            gl = [gl]
        idx = {(o['metadata'].get('namespace', ''), o['metadata']['name']): o for o in gl}
        for o in objs or []:
            k = (o['metadata'].get('namespace', ''), o['metadata']['name'])
            g = idx.get(k)
            ws = norm(o.get('status'))
            gs = norm(g.get('status')) if g else None
            if g is None or ws != gs:
                st_ok = False
                d2 = []
                if g is None:
                    d2.append(f'{key} {k}: missing object')
                else:
                    diff(gs, ws, f'{key}/{k[0]}/{k[1]}.status', d2)
                diffs += d2
    x_ok = norm(got.get('xdsIR')) == norm(want.get('xdsIR'))
    if not x_ok:
        diff(norm(got.get('xdsIR')), norm(want.get('xdsIR')), 'xdsIR', diffs, 60)
    i_ok = norm(got.get('infraIR')) == norm(want.get('infraIR'))
    if not i_ok:
        diff(norm(got.get('infraIR')), norm(want.get('infraIR')), 'infraIR', diffs, 80)
    return name, st_ok, x_ok, i_ok, diffs

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--suite', default='gatewayapi')
    ap.add_argument('--driver', default=os.path.join(ROOT, 'build-ir', 'ir_driver'))
    ap.add_argument('--case')
    ap.add_argument('--prefix')
    ap.add_argument('--fails', action='store_true')
    ap.add_argument('--top', type=int, default=0, help='most common difference lines')
    a = ap.parse_args()
    d = os.path.join(CONF, a.suite)
    cns = '' if a.suite == 'gatewayapi-extensions' else 'envoy-gateway-system'
    names = sorted(f[:-9] for f in os.listdir(d) if f.endswith('.out.yaml'))
    if a.case:
        names = [a.case]
    if a.prefix:
        names = [n for n in names if n.startswith(a.prefix)]
    with ThreadPoolExecutor(16) as ex:
        res = list(ex.map(lambda n: run_case(d, n, a.driver, cns), names))
    if a.case:
        r = res[0]
        print(f'status={r[1]} xdsIR={r[2]} infraIR={r[3]}')
        for l in r[4][:80]:
            print(' ', l)
        return
    fams = {}
    for r in res:
        f = next((p for p in FAMS if r[0].startswith(p)), 'other')
        fams.setdefault(f, []).append(r)
    def line(label, rs):
        n = len(rs)
        s = sum(r[1] for r in rs); x = sum(r[2] for r in rs); i = sum(r[3] for r in rs)
        al = sum(r[1] and r[2] and r[3] for r in rs)
        print(f'{label:20s} n={n:4d} status={s:4d} xdsIR={x:4d} infraIR={i:4d} all={al:4d}')
    for f in FAMS + ['other']:
        if f in fams:
            line(f, fams[f])
    pr = [r for f in FAMS if f in fams for r in fams[f]]
    line('PRIORITY', pr)
    line('TOTAL', res)
    if a.fails:
        for r in res:
            if not (r[1] and r[2] and r[3]):
                print(r[0], 'S' if r[1] else 's', 'X' if r[2] else 'x', 'I' if r[3] else 'i')
    if a.top:
        import collections, re
        c = collections.Counter()
        for r in res:
            seen = set()
            for l in r[4]:
                k = re.sub(r'\[\d+\]', '[]', l.split(':')[0]) + ':' + (l.split(':', 1)[1][:60] if ':' in l else '')
                if k not in seen:
                    seen.add(k); c[k] += 1
        for k, v in c.most_common(a.top):
            print(f'{v:4d} {k}')

if __name__ == '__main__':
    main()
