#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Dev loop for the xds stage: runs the xds driver over the xds-ir and
extension-xds-ir goldens and compares semantically (top-level resources by
name, lists in order, absent == null/false/0/""/[]/{}).

  xds_compare.py [--driver PATH] [--case NAME] [--family PREFIX...] [-v]
"""
import argparse, json, os, subprocess, sys
from collections import Counter
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, '..', 'shared', 'conformance', 'xds')
TYPES = ['listeners', 'routes', 'clusters', 'endpoints', 'secrets']
CLI = None
FAMILIES = ['http-route', 'http2-', 'httproute-', 'tcp-', 'tcproute-', 'udp-', 'tls-',
            'simple-tls', 'listener-', 'multiple-', 'backend-', 'empty', 'ready']


def empty(v):
    return v is None or v is False or v == 0 and not isinstance(v, bool) and isinstance(v, (int, float)) \
        or v == '' or v == [] or v == {}


def norm(v):
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            x = norm(x)
            if not empty(x):
                out[k] = x
        return out
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return float(v)
    return v


def diff(a, b, path):
    """First difference between expected a and actual b, or None."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in b:
                return f'{path}.{k}: missing (want {short(a[k])})'
            if k not in a:
                return f'{path}.{k}: unexpected {short(b[k])}'
            d = diff(a[k], b[k], f'{path}.{k}')
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b)):
            d = diff(x, y, f'{path}[{i}]')
            if d:
                return d
        if len(a) != len(b):
            return f'{path}: length {len(b)} want {len(a)}'
        return None
    if a != b:
        return f'{path}: got {short(b)} want {short(a)}'
    return None


def short(v):
    s = json.dumps(v, sort_keys=True)
    return s if len(s) < 160 else s[:157] + '...'


def rname(t, r):
    return r.get('clusterName' if t == 'endpoints' else 'name', '')


def load(p):
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return yaml.safe_load(f)


def run_case(driver, d, case):
    inp = os.path.join(d, 'in', case + '.yaml')
    st = os.path.join(d, 'in', case + '.settings.yaml')
    settings = load(st) or {}
    if CLI:
        cmd = [CLI, 'translate', '--from', 'xds-ir', '--to', 'xds', '-o', 'json']
        if settings.get('dnsDomain'):
            cmd += ['--dns-domain', settings['dnsDomain']]
        for fl in settings.get('runtimeFlags') or []:
            cmd += ['--runtime-flag', fl]
        cmd += ['-f', inp]
    else:
        cmd = [driver]
        if os.path.exists(st):
            cmd += ['--settings', st]
        cmd.append(inp)
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return ['timeout']
    if p.returncode not in (0, 1):
        return [f'driver crashed rc={p.returncode}: {p.stderr[-300:]}']
    try:
        got = json.loads(p.stdout) if p.stdout.strip() else {}
    except Exception as e:
        return [f'bad json: {e}']
    if CLI and p.returncode != 0:
        got['error'] = p.stderr
    diffs = []
    want_err = settings.get('expectError')
    if want_err:
        if p.returncode == 0:
            diffs.append(f'expected error {want_err!r}, got success')
        elif want_err not in (got.get('error') or ''):
            diffs.append(f'error {got.get("error")!r} want {want_err!r}')
    elif p.returncode != 0 and not case.endswith('partial-invalid'):
        # Envoy Gateway's own harness ignores the error of *partial-invalid cases
        diffs.append(f'unexpected error: {got.get("error")}')
    for t in TYPES:
        want = load(os.path.join(d, 'out', f'{case}.{t}.yaml'))
        if want is None and want_err:
            continue
        want = want or []
        have = got.get(t) or []
        wm = {rname(t, r): r for r in want}
        hm = {rname(t, r): r for r in have}
        for n in wm:
            if n not in hm:
                diffs.append(f'{t}: missing {n}')
                continue
            x = diff(norm(wm[n]), norm(hm[n]), f'{t}[{n}]')
            if x:
                diffs.append(x)
        for n in hm:
            if n not in wm:
                diffs.append(f'{t}: unexpected {n}')
    if settings.get('envoyPatchPolicyStatuses') and not want_err:
        want = load(os.path.join(d, 'out', f'{case}.envoypatchpolicies.yaml'))
        x = diff(norm(want), norm(got.get('envoyPatchPolicies')), 'envoyPatchPolicies')
        if x:
            diffs.append(x)
    return diffs


def run_ratelimit(driver, d, case):
    inp = os.path.join(d, 'in', case + '.yaml')
    if CLI:
        cmd = [CLI, 'translate', '--from', 'xds-ir', '--to', 'ratelimit', '-o', 'json', '-f', inp]
    else:
        cmd = [driver, '--ratelimit', inp]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        return [f'driver failed rc={p.returncode}: {p.stderr[-300:]}']
    got = json.loads(p.stdout) or []
    with open(os.path.join(d, 'out', case + '.yaml')) as f:
        want = [x for x in yaml.safe_load_all(f) if x is not None]
    x = diff(norm(want), norm(got), 'ratelimit')
    return [x] if x else []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--driver', default=os.environ.get('XDS_DRIVER', '/tmp/xdsdev/xds_driver'))
    ap.add_argument('--case')
    ap.add_argument('--family', action='store_true', help='only the Gateway API core families')
    ap.add_argument('-v', action='store_true', help='print all differences of failing cases')
    ap.add_argument('--cli', help='run the egw CLI (egw translate ...) instead of the dev driver')
    a = ap.parse_args()
    global CLI
    CLI = a.cli
    results = {}
    for sub in ['xds-ir', 'extension-xds-ir']:
        d = os.path.join(CORPUS, sub)
        for f in sorted(os.listdir(os.path.join(d, 'in'))):
            if not f.endswith('.yaml') or f.endswith('.settings.yaml'):
                continue
            case = f[:-5]
            if a.case and case != a.case:
                continue
            if a.family and (sub != 'xds-ir' or not any(case.startswith(p) for p in FAMILIES)):
                continue
            results[f'{sub}/{case}'] = run_case(a.driver, d, case)
    if not a.family:
        d = os.path.join(CORPUS, 'ratelimit-config')
        for f in sorted(os.listdir(os.path.join(d, 'in'))):
            case = f[:-5]
            if a.case and case != a.case:
                continue
            results[f'ratelimit-config/{case}'] = run_ratelimit(a.driver, d, case)
    fam = Counter(); famok = Counter()
    kinds = Counter()
    for k, dl in results.items():
        sub, case = k.split('/')
        f = next((p for p in FAMILIES if case.startswith(p)), 'other') if sub == 'xds-ir' else sub
        fam[f] += 1
        if not dl:
            famok[f] += 1
        else:
            print(f'FAIL {k}: {dl[0]}')
            if a.v or a.case:
                for x in dl[1:]:
                    print('     ' + x)
            for x in dl:
                kinds[x.split(':')[0].split('[')[0] + ':' + x.split(':', 1)[1][:60] if ':' in x else x] += 0
    tot = sum(fam.values()); ok = sum(famok.values())
    core = [p for p in FAMILIES]
    ct = sum(fam[p] for p in core); co = sum(famok[p] for p in core)
    print('--- per family')
    for f in sorted(fam):
        print(f'{f:14s} {famok[f]}/{fam[f]}')
    print(f'core families: {co}/{ct}')
    print(f'passed {ok}/{tot}')


if __name__ == '__main__':
    main()
