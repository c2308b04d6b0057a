#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Conformance harness: runs `egw` over the whole Envoy Gateway golden corpus
(../shared/conformance, see its README.md) and compares every output with the
golden semantically, then holds the line with a ratchet.

  run.py                     test mode: exit 1 if a case in passing.txt fails
  run.py --update            rewrite passing.txt with every passing case
  run.py --show-diff CASE    first differences of one case
  run.py --self-test         every golden against itself (must pass 100 %),
                             and mutated goldens (must all fail)
  run.py --json FILE         machine-readable results (scripts/conformance-doc.py)

Families and how a case is run are described in docs/conformance.md; the
comparison rules are the corpus README's, implemented in normalize() below.
Exit codes: 0 ok, 1 failure, 2 bad usage or bad ratchet files, 77 skipped
(no corpus, or no PyYAML; never in CI, where CI=true makes that 1).
"""
import argparse
import concurrent.futures
import copy
import fnmatch
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PASSING = os.path.join(HERE, 'passing.txt')
# Parts (status, xdsIR, infraIR, patchStatuses) that pass in cases that do not
# pass as a whole, as `family/case:part`: most cases fail somewhere while the
# translators are young, and a break in a part that used to match must still
# fail the test.
PASSING_PARTS = os.path.join(HERE, 'passing-parts.txt')
KNOWN = os.path.join(HERE, 'known-differences.txt')

FAMILIES = ['gatewayapi', 'gatewayapi-extensions', 'xds/xds-ir', 'xds/extension-xds-ir',
            'xds/ratelimit-config', 'egctl']
# The parts each family's cases are scored on (a case passes when all pass).
PARTS = {
    'gatewayapi': ['status', 'xdsIR', 'infraIR'],
    'gatewayapi-extensions': ['status', 'xdsIR', 'infraIR'],
    'xds/xds-ir': ['xds', 'patchStatuses'],
    'xds/extension-xds-ir': ['xds', 'patchStatuses'],
    'xds/ratelimit-config': ['ratelimit'],
    'egctl': ['output'],
}
XDS_TYPES = ['listeners', 'routes', 'clusters', 'endpoints', 'secrets']
RUN_TIMEOUT = 120
MAX_DIFFS = 40


def in_ci():
    return os.environ.get('CI', '').strip().lower() in ('true', '1', 'yes')


def skip(msg):
    """Skipping is fine on a user's clone, never in CI."""
    bar = '*' * 78
    print(f'{bar}\nSKIPPED: {msg}\n{bar}', flush=True)
    if in_ci():
        print('CI=true: a skipped conformance run is a failure in CI', flush=True)
        return 1
    return 77


try:
    import yaml
except ImportError:  # pragma: no cover - depends on the machine
    yaml = None


# ---------------------------------------------------------------------------
# YAML loading.  The goldens were written by Go (sigs.k8s.io/yaml), which
# quotes every string that would otherwise read as another type.  PyYAML's
# YAML 1.1 resolvers know two forms Go does not produce unquoted as non-strings:
# timestamps (2024-01-01T00:00:00Z would become a datetime) and base-60
# numbers (1:30 would become 90).  The loader below drops both, so such plain
# scalars stay the strings Go meant.
# ---------------------------------------------------------------------------

def _make_loader():
    base = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)

    class Loader(base):
        pass

    Loader.yaml_implicit_resolvers = {}
    for ch, resolvers in base.yaml_implicit_resolvers.items():
        keep = [(tag, rx) for tag, rx in resolvers
                if tag not in ('tag:yaml.org,2002:timestamp', 'tag:yaml.org,2002:int',
                               'tag:yaml.org,2002:float')]
        if keep:
            Loader.yaml_implicit_resolvers[ch] = keep
    int_rx = re.compile(r'''^(?:[-+]?0b[0-1_]+
                    |[-+]?0[0-7_]+
                    |[-+]?(?:0|[1-9][0-9_]*)
                    |[-+]?0x[0-9a-fA-F_]+)$''', re.X)
    float_rx = re.compile(r'''^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                    |[-+]?(?:[0-9][0-9_]*)[eE][-+]?[0-9]+
                    |\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?
                    |[-+]?\.(?:inf|Inf|INF)
                    |\.(?:nan|NaN|NAN))$''', re.X)
    Loader.add_implicit_resolver('tag:yaml.org,2002:int', int_rx, list('-+0123456789'))
    Loader.add_implicit_resolver('tag:yaml.org,2002:float', float_rx, list('-+0123456789.'))
    return Loader


_LOADER = None


def loader():
    global _LOADER
    if _LOADER is None:
        _LOADER = _make_loader()
    return _LOADER


def load_yaml_docs(text):
    return [d for d in yaml.load_all(text, Loader=loader()) if d is not None]


def load_yaml_file(path, multi=False):
    with open(path, 'rb') as f:
        docs = load_yaml_docs(f.read())
    if multi:
        return docs
    if len(docs) > 1:
        return docs
    return docs[0] if docs else None


def parse_output(text, fmt):
    """The CLI's stdout: one JSON value (-o json), or YAML documents (-o yaml).
    Returns one value, or a list when YAML holds several documents."""
    if fmt == 'json':
        return json.loads(text)
    docs = load_yaml_docs(text)
    if len(docs) == 1:
        return docs[0]
    return docs


# ---------------------------------------------------------------------------
# Normalisation and comparison (corpus README, "How outputs are compared").
# ---------------------------------------------------------------------------

def is_empty(v):
    if v is None or v is False:
        return True
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v == 0
    if isinstance(v, (str, list, dict)):
        return len(v) == 0
    return False


def normalize(v, key=None):
    """absent == null == false == 0 == "" == [] == {}: such values are dropped
    from objects (and become null inside lists, where position matters);
    lastTransitionTime is dropped; `conditions` lists are sorted (a set);
    integral floats become ints (JSON 1.0 is YAML 1)."""
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if k == 'lastTransitionTime':
                continue
            x = normalize(x, k)
            if not is_empty(x):
                out[str(k)] = x
        return out
    if isinstance(v, list):
        items = [normalize(x) for x in v]
        items = [None if is_empty(x) else x for x in items]
        if key == 'conditions':
            items.sort(key=canon)
        return items
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def canon(v):
    """A canonical text of a normalised value: equal texts, equal values
    (unlike ==, keeps true apart from 1)."""
    return json.dumps(v, sort_keys=True, separators=(',', ':'), default=str)


def short(v, n=240):
    s = 'absent' if v is None else canon(v)
    return s if len(s) <= n else s[:n] + '...'


def diff(want, got, path, out, limit=MAX_DIFFS):
    """Appends (path, expected, got) for the first differences of two
    normalised values."""
    if len(out) >= limit:
        return
    if isinstance(want, dict) and isinstance(got, dict):
        for k in sorted(set(want) | set(got)):
            if len(out) >= limit:
                return
            diff(want.get(k), got.get(k), f'{path}.{k}' if path else k, out, limit)
        return
    if isinstance(want, list) and isinstance(got, list):
        if path.endswith('conditions') and all(isinstance(c, dict) and 'type' in c
                                               for c in want + got):
            # a set: show differences per condition type, not per position
            w = {c['type']: c for c in want}
            g = {c['type']: c for c in got}
            if len(w) == len(want) and len(g) == len(got):
                for t in sorted(set(w) | set(g), key=str):
                    diff(w.get(t), g.get(t), f'{path}[type={t}]', out, limit)
                return
        if len(want) != len(got):
            out.append((f'{path}  (list length)', len(want), len(got)))
        for i in range(min(len(want), len(got))):
            diff(want[i], got[i], f'{path}[{i}]', out, limit)
        return
    if canon(want) != canon(got):
        out.append((path, short(want), short(got)))


def same(want, got):
    return canon(want) == canon(got)


def compare(want, got, path, diffs):
    want, got = normalize(want), normalize(got)
    if same(want, got):
        return True
    diff(want, got, path, diffs)
    return False


# Private material in xDS Secrets.  The corpus README says every expected
# output has it redacted, but 48 xds goldens carry it in the clear (the
# placeholder "key-data", four real PEM keys, OAuth2 client and HMAC secrets,
# an extension-injected generic secret), while egw always redacts.  Both
# sides are compared with these values replaced by one marker, and egw's
# output is separately checked to redact them (leaks() below).
SECRET_KEYS = ('privateKey', 'genericSecret')
REDACTED = ('[redacted]', 'W3JlZGFjdGVkXQ==', '')


def is_api_key_auth(v):
    """The api_key_auth filter's config: its credentials' keys are marked
    sensitive in Envoy's API, and egw's renderings redact them."""
    return isinstance(v, dict) and '.api_key_auth.v3.ApiKeyAuth' in str(v.get('@type', ''))


def api_key_creds(v):
    """(index, credential) pairs whose key is private, in an ApiKeyAuth config."""
    creds = v.get('credentials') if is_api_key_auth(v) else None
    return [(i, c) for i, c in enumerate(creds) if isinstance(c, dict) and 'key' in c] \
        if isinstance(creds, list) else []


def redact(v, inside=False):
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if inside and k in ('inlineBytes', 'inlineString') and isinstance(x, str) and x:
                out[k] = '[redacted]'  # empty stays empty: "" equals absent
            else:
                out[k] = redact(x, inside or k in SECRET_KEYS)
        for i, c in api_key_creds(v):
            out['credentials'][i] = dict(c, key='[redacted]')
        return out
    if isinstance(v, list):
        return [redact(x, inside) for x in v]
    return v


def redact_like_egw(v, inside=False):
    """What egw prints for private values (self-test input)."""
    if isinstance(v, dict):
        out = {k: ('W3JlZGFjdGVkXQ==' if k == 'inlineBytes' else '[redacted]')
               if inside and k in ('inlineBytes', 'inlineString') and isinstance(x, str) and x
               else redact_like_egw(x, inside or k in SECRET_KEYS) for k, x in v.items()}
        for i, c in api_key_creds(v):
            out['credentials'][i] = dict(out['credentials'][i], key='[redacted]')
        return out
    if isinstance(v, list):
        return [redact_like_egw(x, inside) for x in v]
    return v


def leaks(v, path='', inside=False, out=None):
    """Paths of private material that egw printed unredacted."""
    out = [] if out is None else out
    if isinstance(v, dict):
        for k, x in v.items():
            p = f'{path}.{k}' if path else str(k)
            if inside and k in ('inlineBytes', 'inlineString') and isinstance(x, str) \
                    and x not in REDACTED:
                out.append(p)
            else:
                leaks(x, p, inside or k in SECRET_KEYS, out)
        for i, c in api_key_creds(v):
            if c['key'] not in REDACTED:
                out.append(f'{path}.credentials[{i}].key')
    elif isinstance(v, list):
        for i, x in enumerate(v):
            leaks(x, f'{path}[{i}]', inside, out)
    return out


def obj_key(o):
    md = o.get('metadata') if isinstance(o, dict) else None
    md = md if isinstance(md, dict) else {}
    return (md.get('namespace') or '', md.get('name') or '')


def as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def by_name(items, field):
    """{name: [resource, ...]} in order, for matching top-level resources."""
    m = {}
    for it in items or []:
        n = it.get(field) if isinstance(it, dict) else None
        m.setdefault('' if n is None else str(n), []).append(it)
    return m


def compare_named(want_items, got_items, field, path, diffs):
    """Top-level xDS resources: matched by name, order ignored."""
    w, g = by_name(want_items, field), by_name(got_items, field)
    ok = True
    for name in sorted(set(w) | set(g)):
        wl, gl = w.get(name, []), g.get(name, [])
        p = f'{path}[{field}={name}]'
        if len(wl) != len(gl):
            ok = False
            diffs.append((p + '  (count)', len(wl), len(gl)))
            continue
        if len(wl) > 1 and sorted(canon(normalize(x)) for x in wl) == \
                sorted(canon(normalize(x)) for x in gl):
            continue  # same-named resources: a multiset, order ignored too
        for i, (a, b) in enumerate(zip(wl, gl)):
            ok &= compare(a, b, p if len(wl) == 1 else f'{p}#{i}', diffs)
    return ok


# ---- egctl outputs: objects by namespace/name, config-dump resources by name

def _resource_name(item):
    if not isinstance(item, dict):
        return None
    for f in ('name', 'clusterName'):
        if isinstance(item.get(f), str):
            return item[f]
    for v in item.values():
        if isinstance(v, dict):
            for f in ('name', 'clusterName'):
                if isinstance(v.get(f), str):
                    return v[f]
            for vv in v.values():  # activeState.listener.name
                if isinstance(vv, dict) and isinstance(vv.get('name'), str):
                    return vv['name']
    return None


def _keyed(items, keyf):
    out = {}
    for i, it in enumerate(items):
        k = keyf(it)
        k = f'#{i}' if k is None else k
        while k in out:
            k += "'"
        out[k] = it
    return out


def _egctl_xds(v):
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if (k.startswith('dynamic') or k.startswith('static')) and isinstance(x, list) \
                    and all(isinstance(i, dict) for i in x):
                out[k] = _keyed([_egctl_xds(i) for i in x], _resource_name)
            else:
                out[k] = _egctl_xds(x)
        return out
    if isinstance(v, list):
        return [_egctl_xds(x) for x in v]
    return v


def egctl_canon(doc):
    """Top-level xDS resources inside config dumps (dynamic*/static* lists)
    and Kubernetes objects (grouped by kind) are matched by name."""
    if isinstance(doc, list):
        return [egctl_canon(d) for d in doc]
    if not isinstance(doc, dict):
        return doc
    out = {}
    for k, v in doc.items():
        if k == 'xds':
            out[k] = _egctl_xds(v)
        elif isinstance(v, list) and v and all(isinstance(o, dict) and 'metadata' in o for o in v):
            out[k] = _keyed(v, lambda o: '/'.join(obj_key(o)))
        else:
            out[k] = v
    return out


# ---------------------------------------------------------------------------
# Cases.
# ---------------------------------------------------------------------------

def prefix_of(name):
    return name.split('@', 1)[0].split('-', 1)[0]


def discover(corpus):
    cases = []
    for fam in ('gatewayapi', 'gatewayapi-extensions'):
        d = os.path.join(corpus, fam)
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            if f.endswith('.out.yaml'):
                cases.append({'family': fam, 'name': f[:-len('.out.yaml')], 'dir': d})
    for fam in ('xds/xds-ir', 'xds/extension-xds-ir', 'xds/ratelimit-config'):
        d = os.path.join(corpus, fam)
        if not os.path.isdir(os.path.join(d, 'in')):
            continue
        for f in sorted(os.listdir(os.path.join(d, 'in'))):
            # `x.settings.yaml` belongs to case x; `path-settings.yaml` is a case.
            if f.endswith('.yaml') and not f.endswith('.settings.yaml'):
                cases.append({'family': fam, 'name': f[:-len('.yaml')], 'dir': d})
    d = os.path.join(corpus, 'egctl')
    cy = os.path.join(d, 'cases.yaml')
    if os.path.isfile(cy):
        rows = (load_yaml_file(cy) or {}).get('cases') or []
        for i, row in enumerate(rows, 1):
            cases.append({'family': 'egctl', 'name': f"{row['name']}@{i}", 'dir': d,
                          'args': [str(a) for a in row.get('args') or []],
                          'expectSuccess': bool(row.get('expectSuccess')),
                          'expected': row.get('expected')})
    for c in cases:
        c['id'] = f"{c['family']}/{c['name']}"
        c['prefix'] = prefix_of(c['name'])
    return cases


def command(case, egw):
    """argv and cwd of the CLI run for a case (the corpus README's contract)."""
    fam, d, n = case['family'], case['dir'], case['name']
    if fam in ('gatewayapi', 'gatewayapi-extensions'):
        argv = [egw, 'translate', '--from', 'gateway-api', '--to', 'gateway-api,ir']
        cfg = os.path.join(d, n + '.config.yaml')
        if os.path.isfile(cfg):
            argv += ['--config', cfg]
        argv += ['-o', 'json', '-f', os.path.join(d, n + '.in.yaml')]
        if fam == 'gatewayapi-extensions':
            argv += ['--controller-namespace', '']
        return argv, None, 'json'
    if fam == 'xds/ratelimit-config':
        return ([egw, 'translate', '--from', 'xds-ir', '--to', 'ratelimit', '-o', 'yaml',
                 '-f', os.path.join(d, 'in', n + '.yaml')], None, 'yaml')
    if fam.startswith('xds/'):
        s = settings(case)
        argv = [egw, 'translate', '--from', 'xds-ir', '--to', 'xds', '-o', 'json']
        if s.get('dnsDomain'):
            argv += ['--dns-domain', str(s['dnsDomain'])]
        for fl in s.get('runtimeFlags') or []:
            argv += ['--runtime-flag', str(fl)]
        argv += ['-f', os.path.join(d, 'in', n + '.yaml')]
        return argv, None, 'json'
    args = case['args']
    fmt = 'yaml'
    for i, a in enumerate(args[:-1]):
        if a in ('-o', '--output'):
            fmt = args[i + 1]
    return [egw] + args, d, fmt


def settings(case):
    p = os.path.join(case['dir'], 'in', case['name'] + '.settings.yaml')
    return (load_yaml_file(p) or {}) if os.path.isfile(p) else {}


def shell_line(argv, cwd):
    q = ' '.join("''" if a == '' else (a if re.fullmatch(r'[\w@%+=:,./-]+', a) else repr(a))
                 for a in argv)
    return f'(cd {cwd} && {q})' if cwd else q


class Run:
    def __init__(self, rc, out, err, note=None):
        self.rc, self.out, self.err, self.note = rc, out, err, note


def execute(argv, cwd):
    try:
        p = subprocess.run(argv, cwd=cwd, capture_output=True, timeout=RUN_TIMEOUT)
        return Run(p.returncode, p.stdout.decode('utf-8', 'replace'),
                   p.stderr.decode('utf-8', 'replace'))
    except subprocess.TimeoutExpired:
        return Run(None, '', '', f'timed out after {RUN_TIMEOUT}s')
    except OSError as e:
        return Run(None, '', '', f'cannot run: {e}')


def failed_run_note(run):
    if run.note:
        return run.note
    if run.rc is not None and run.rc < 0:
        return f'egw killed by signal {-run.rc}'
    first = next((l for l in run.err.splitlines() if l.strip()), '')
    return f'egw exited {run.rc}' + (f': {first[:200]}' if first else '')


# ---- expected values of a case, and its scoring against one run ----

def expected(case):
    fam, d, n = case['family'], case['dir'], case['name']
    if fam in ('gatewayapi', 'gatewayapi-extensions'):
        return {'doc': load_yaml_file(os.path.join(d, n + '.out.yaml')) or {}}
    if fam == 'xds/ratelimit-config':
        return {'docs': load_yaml_file(os.path.join(d, 'out', n + '.yaml'), multi=True)}
    if fam.startswith('xds/'):
        s = settings(case)
        e = {'settings': s, 'xds': {}, 'patch': None}
        if s.get('expectError'):
            return e
        for t in XDS_TYPES:
            p = os.path.join(d, 'out', f'{n}.{t}.yaml')
            e['xds'][t] = as_list(load_yaml_file(p)) if os.path.isfile(p) else []
        p = os.path.join(d, 'out', f'{n}.envoypatchpolicies.yaml')
        if s.get('envoyPatchPolicyStatuses') or os.path.isfile(p):
            e['patch'] = as_list(load_yaml_file(p)) if os.path.isfile(p) else []
        return e
    if not case['expectSuccess']:
        return {}
    p = os.path.join(d, case['expected'])
    if p.endswith('.json'):
        with open(p) as f:
            return {'doc': json.load(f)}
    return {'doc': load_yaml_file(p)}


def drop_added_class(got):
    """The corpus adds a GatewayClass to cases that had none, and the
    reference translated those cases without it (its EnvoyProxy was handed
    to the translator directly).  So where the golden has no gatewayClass,
    the GatewayClass ancestors that libegw (rightly) gives the class's
    EnvoyProxy are not part of the reference's answer: drop them from egw's
    output, in the EnvoyProxy objects and in the infra IR."""
    def strip(status):
        if isinstance(status, dict) and isinstance(status.get('ancestors'), list):
            status['ancestors'] = [a for a in status['ancestors']
                                   if not (isinstance(a, dict) and
                                           (a.get('ancestorRef') or {}).get('kind') == 'GatewayClass')]
    for key in ('envoyProxyForGatewayClass', 'envoyProxiesForGateways'):
        for o in as_list(got.get(key)):
            if isinstance(o, dict):
                strip(o.get('status'))
    for fleet in (got.get('infraIR') or {}).values():
        cfg = ((fleet or {}).get('proxy') or {}).get('config')
        if isinstance(cfg, dict):
            strip(cfg.get('status'))


def score(case, exp, run, fmt):
    """Returns (parts {name: bool}, diffs [(path, want, got)], note)."""
    fam = case['family']
    parts = {p: False for p in PARTS[fam]}
    if fam.startswith('xds/') and fam != 'xds/ratelimit-config' and exp['patch'] is None:
        del parts['patchStatuses']  # scored only where the golden has statuses
    diffs = []

    if fam.startswith('xds/') and fam != 'xds/ratelimit-config' and exp['settings'].get('expectError'):
        want = str(exp['settings']['expectError'])
        ok = run.rc not in (0, None) and want in run.err
        parts = {'xds': ok}
        if ok:
            return parts, [], None
        if run.rc == 0:
            return parts, [('exit status', 'failure', 'success')], \
                f'expected an error containing "{want}", egw succeeded'
        return parts, [('stderr', want, run.err.strip()[:240])], \
            f'expected an error containing "{want}"; ' + failed_run_note(run)
    if fam == 'egctl' and not case['expectSuccess']:
        ok = run.rc not in (0, None)
        parts['output'] = ok
        return parts, ([] if ok else [('exit status', 'failure', 'success')]), \
            (None if ok else 'expected egw to fail, it succeeded')

    if run.rc != 0:
        return parts, [], failed_run_note(run)
    try:
        got = parse_output(run.out, fmt)
    except Exception as e:  # noqa: BLE001 - any parse failure is a failed case
        return parts, [], f'cannot parse egw output as {fmt}: {str(e).splitlines()[0][:200]}'

    notes = []
    if fam in ('gatewayapi', 'gatewayapi-extensions'):
        want = exp['doc']
        got = got if isinstance(got, dict) else {}
        if 'gatewayClass' not in want:
            drop_added_class(got)
        ok = True
        for kind, objs in want.items():
            if kind in ('xdsIR', 'infraIR'):
                continue
            # Matched by namespace/name; a name given to several objects
            # (a case may hold conflicting duplicates) pairs them in order.
            gidx = {}
            for o in as_list(got.get(kind)):
                gidx.setdefault(obj_key(o), []).append(o)
            seen = {}
            for o in as_list(objs):
                k = obj_key(o)
                i = seen[k] = seen.get(k, -1) + 1
                gl = gidx.get(k, [])
                g = gl[i] if i < len(gl) else None
                path = f'{kind}[{"/".join(x for x in k if x)}{f"#{i}" if i else ""}].status'
                ok &= compare(o.get('status') if isinstance(o, dict) else None,
                              g.get('status') if isinstance(g, dict) else None, path, diffs)
        parts['status'] = ok
        parts['xdsIR'] = compare(want.get('xdsIR'), got.get('xdsIR'), 'xdsIR', diffs)
        parts['infraIR'] = compare(want.get('infraIR'), got.get('infraIR'), 'infraIR', diffs)
    elif fam == 'xds/ratelimit-config':
        gdocs = got if isinstance(got, list) else [got]
        parts['ratelimit'] = compare(exp['docs'], gdocs, 'ratelimit', diffs)
    elif fam.startswith('xds/'):
        got = got if isinstance(got, dict) else {}
        ok = True
        for t in XDS_TYPES:
            field = 'clusterName' if t == 'endpoints' else 'name'
            ok &= compare_named(redact(exp['xds'][t]), redact(as_list(got.get(t))), field, t,
                                diffs)
        leaked = leaks({t: got.get(t) for t in XDS_TYPES})
        if leaked:
            ok = False
            notes.append(f'egw printed {len(leaked)} private values unredacted')
            diffs[:0] = [(p, '[redacted]', 'a private value in the clear') for p in leaked[:5]]
        parts['xds'] = ok
        if exp['patch'] is None:
            pass
        elif 'envoyPatchPolicies' not in got:
            notes.append('EnvoyPatchPolicy statuses expected, but egw printed no '
                         '"envoyPatchPolicies" key')
            diffs.append(('envoyPatchPolicies', short(normalize(exp['patch'])), 'absent'))
        else:
            parts['patchStatuses'] = compare(
                {'/'.join(obj_key({'metadata': p})): p for p in exp['patch']},
                {'/'.join(obj_key({'metadata': p})): p for p in as_list(got['envoyPatchPolicies'])
                 if isinstance(p, dict)},
                'envoyPatchPolicies', diffs)
    else:
        parts['output'] = compare(redact(egctl_canon(exp['doc'])), redact(egctl_canon(got)), '',
                                  diffs)
        leaked = leaks(got)
        if leaked:
            parts['output'] = False
            notes.append(f'egw printed {len(leaked)} private values unredacted')
            diffs[:0] = [(p, '[redacted]', 'a private value in the clear') for p in leaked[:5]]
    return parts, diffs[:MAX_DIFFS], '; '.join(notes) or None


def snapshot_egw(egw, tmpdir, tries=4):
    """Copies egw and the libegw.so* beside it (egw's RUNPATH is $ORIGIN)
    into tmpdir, so that someone rebuilding the tree while the cases run
    cannot swap the binary under them.  Retries for a few seconds while the
    copy does not answer `egw version` (a rebuild in progress), then uses
    it anyway.  Returns the copy, or None when egw cannot be copied."""
    src = os.path.dirname(egw)
    dst = os.path.join(tmpdir, os.path.basename(egw))
    for attempt in range(tries):
        try:
            for f in os.listdir(src):
                if f.startswith('libegw.so') and os.path.isfile(os.path.join(src, f)):
                    shutil.copyfile(os.path.join(src, f), os.path.join(tmpdir, f))
            shutil.copyfile(egw, dst)
            os.chmod(dst, 0o755)
            p = subprocess.run([dst, 'version'], capture_output=True, timeout=30)
            if p.returncode == 0:
                return dst
        except (OSError, subprocess.SubprocessError):
            pass
        if attempt + 1 < tries:
            time.sleep(5)
    if os.path.isfile(dst):
        print(f'run.py: warning: `{egw} version` fails; running it anyway', file=sys.stderr)
        return dst
    return None


PARSE_FIRST = False  # --parse-first: every translation through egw_parse + egw_translate_documents


def run_case(case, egw, shown=None):
    t0 = time.monotonic()
    argv, cwd, fmt = command(case, egw)
    if PARSE_FIRST and 'translate' in argv:
        i = argv.index('translate') + 1
        argv = argv[:i] + ['--parse-first'] + argv[i:]
    run = execute(argv, cwd)
    if shown:
        argv = [shown] + argv[1:]
    crash = failed_run_note(run) if (run.rc is None or run.rc < 0) else None
    try:
        exp = expected(case)
        parts, diffs, note = score(case, exp, run, fmt)
    except Exception as e:  # noqa: BLE001 - a harness bug must not hide other cases
        parts, diffs, note = {p: False for p in PARTS[case['family']]}, [], \
            f'harness error: {type(e).__name__}: {e}'
    r = result(case, parts, diffs, note, time.monotonic() - t0, shell_line(argv, cwd))
    r['crash'] = crash
    return r


def result(case, parts, diffs, note, seconds, cmd=''):
    return {'id': case['id'], 'family': case['family'], 'case': case['name'],
            'prefix': case['prefix'], 'passed': all(parts.values()), 'parts': parts,
            'note': note, 'diffs': [list(d) for d in diffs], 'seconds': round(seconds, 3),
            'command': cmd}


# ---- self-test: goldens through the normaliser, and mutations that must fail

def _leaves(v, path=()):
    if isinstance(v, dict):
        for k in sorted(v, key=str):
            if k == 'lastTransitionTime':
                continue
            yield from _leaves(v[k], path + (k,))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from _leaves(x, path + (i,))
    elif not is_empty(v):
        yield path


def _mutate(v, under=()):
    """A copy of v with its first significant leaf under `under` changed, or
    None when there is none."""
    v = copy.deepcopy(v)
    node = v
    for k in under:
        try:
            node = node[k]
        except (KeyError, IndexError, TypeError):
            return None
    path = next(_leaves(node), None)
    if path is None:
        return None
    full = under + path
    parent = v
    for k in full[:-1]:
        parent = parent[k]
    x = parent[full[-1]]
    parent[full[-1]] = (not x) if isinstance(x, bool) else \
        (x + 1) if isinstance(x, (int, float)) else str(x) + '~mutated'
    return v


def _render(value, fmt):
    if fmt == 'json':
        return json.dumps(value)
    docs = value if isinstance(value, list) else [value]
    return yaml.safe_dump_all(docs, sort_keys=False)


def self_test_case(case):
    """The golden compared with itself must pass; each mutation must fail and
    each harmless rearrangement (condition order, xDS resource order) pass."""
    t0 = time.monotonic()
    fam = case['family']
    _, _, fmt = command(case, 'egw')
    problems = []
    try:
        exp = expected(case)
        if fam.startswith('xds/') and fam != 'xds/ratelimit-config' \
                and exp['settings'].get('expectError'):
            msg = str(exp['settings']['expectError'])
            checks = [('golden', Run(1, '', 'egw: ' + msg + ' (detail)'), True),
                      ('succeeded', Run(0, '{}', ''), False),
                      ('other error', Run(1, '', 'egw: something else'), False)]
        elif fam == 'egctl' and not case['expectSuccess']:
            checks = [('golden', Run(1, '', 'egw: error'), True),
                      ('succeeded', Run(0, '{}', ''), False)]
        else:
            if fam in ('gatewayapi', 'gatewayapi-extensions'):
                got = exp['doc']
                muts = [('xdsIR', ('xdsIR',)), ('infraIR', ('infraIR',))]
                for kind, objs in got.items():
                    if kind not in ('xdsIR', 'infraIR'):
                        for i, o in enumerate(as_list(objs)):
                            if not is_empty(normalize(o.get('status'))):
                                muts.append((f'{kind} status',
                                             (kind, i, 'status') if isinstance(objs, list)
                                             else (kind, 'status')))
                                break
            elif fam == 'xds/ratelimit-config':
                got = exp['docs']
                muts = [('ratelimit', ())]
            elif fam.startswith('xds/'):
                got = dict(exp['xds'])
                if exp['patch'] is not None:
                    got['envoyPatchPolicies'] = exp['patch']
                muts = [(t, (t,)) for t in XDS_TYPES] + [('patch', ('envoyPatchPolicies',))]
            else:
                got = exp['doc']
                muts = [('output', ())]
            raw, got = got, redact_like_egw(got)
            checks = [('golden', Run(0, _render(got, fmt), ''), True)]
            if fam.startswith('xds/') and leaks(raw):
                checks.append(('unredacted', Run(0, _render(raw, fmt), ''), False))
            for label, under in muts:
                m = _mutate(got, under)
                if m is not None:
                    checks.append((f'mutated {label}', Run(0, _render(m, fmt), ''), False))
            shuffled = _rearranged(got)
            if shuffled is not None:
                checks.append(('rearranged', Run(0, _render(shuffled, fmt), ''), True))
        for label, run, should_pass in checks:
            parts, diffs, note = score(case, exp, run, fmt)
            if all(parts.values()) != should_pass:
                problems.append((label, 'pass' if should_pass else 'fail',
                                 'pass' if all(parts.values()) else
                                 f'fail: {note or ""} {diffs[:2]}'))
    except Exception as e:  # noqa: BLE001
        problems.append(('harness', 'no error', f'{type(e).__name__}: {e}'))
    parts = {'selfTest': not problems}
    return result(case, parts, problems, None if not problems else 'self-test failed',
                  time.monotonic() - t0)


def _rearranged(v):
    """Reverses every `conditions` list and every top-level xDS resource list:
    the comparison must not care."""
    changed = [False]

    def walk(x, key=None, top=False):
        if isinstance(x, dict):
            out = {}
            for k, y in x.items():
                if top and k in XDS_TYPES and isinstance(y, list) and len(y) > 1:
                    out[k] = [walk(i) for i in reversed(y)]
                    changed[0] = True
                else:
                    out[k] = walk(y, k)
            return out
        if isinstance(x, list):
            items = [walk(i) for i in x]
            if key == 'conditions' and len(items) > 1:
                changed[0] = True
                return list(reversed(items))
            return items
        return x

    r = walk(v, top=True)
    return r if changed[0] else None


# ---------------------------------------------------------------------------
# Ratchet files.
# ---------------------------------------------------------------------------

def read_passing(path=PASSING):
    if not os.path.isfile(path):
        return []
    with open(path) as f:
        return [l.strip() for l in f if l.strip() and not l.startswith('#')]


def read_known():
    """{case id: reason}; raises ValueError on a line without a reason."""
    known = {}
    if not os.path.isfile(KNOWN):
        return known
    with open(KNOWN) as f:
        for no, line in enumerate(f, 1):
            line = line.rstrip('\n')
            if not line.strip() or line.startswith('#'):
                continue
            cid, _, reason = line.partition('\t')
            if not reason.strip():
                raise ValueError(f'{KNOWN}:{no}: "{cid}" has no reason '
                                 '(format: family/case<TAB>reason)')
            known[cid.strip()] = reason.strip()
    return known


def write_passing(ids, path=PASSING):
    with open(path, 'w') as f:
        f.write(''.join(f'{i}\n' for i in sorted(set(ids))))


# ---------------------------------------------------------------------------
# Reporting.
# ---------------------------------------------------------------------------

def summarize(results):
    fams = {}
    for r in results:
        f = fams.setdefault(r['family'], {'total': 0, 'passed': 0, 'parts': {}, 'prefixes': {}})
        px = f['prefixes'].setdefault(r['prefix'], {'total': 0, 'passed': 0, 'parts': {}})
        for s in (f, px):
            s['total'] += 1
            s['passed'] += r['passed']
            for p, ok in r['parts'].items():
                n = s['parts'].setdefault(p, [0, 0])
                n[0] += bool(ok)
                n[1] += 1
    return {k: fams[k] for k in FAMILIES if k in fams}


def print_table(summary):
    print(f'{"family / prefix":34} {"passed/total":>13}   parts')
    for fam, s in summary.items():
        def parts_text(x, fam=fam):
            ps = PARTS[fam]
            return '' if len(ps) < 2 else '  '.join(
                f'{p} {x["parts"][p][0]}/{x["parts"][p][1]}' for p in ps if p in x['parts'])
        print(f'{fam:34} {s["passed"]:>6}/{s["total"]:<6}   {parts_text(s)}')
        for px in sorted(s['prefixes']):
            x = s['prefixes'][px]
            print(f'  {px:32} {x["passed"]:>6}/{x["total"]:<6}   {parts_text(x)}')


def show_diff(r, limit):
    status = 'PASS' if r['passed'] else 'FAIL'
    parts = '  '.join(f'{p}={"ok" if ok else "DIFF"}' for p, ok in r['parts'].items())
    print(f'{status} {r["id"]}   {parts}')
    if r.get('command'):
        print(f'  run: {r["command"]}')
    if r['note']:
        print(f'  note: {r["note"]}')
    for path, want, got in r['diffs'][:limit]:
        print(f'  {path}\n      expected: {want}\n      got:      {got}')
    if len(r['diffs']) > limit:
        print(f'  ... {len(r["diffs"]) - limit} more')


def report_baseline(path, results):
    """What changed since an earlier run (`--json` output): for a change,
    run once before and once after with --json/--baseline."""
    with open(path) as f:
        before = {r['id']: r for r in json.load(f)['cases']}
    fixed, broken, parts = [], [], []
    for r in results:
        b = before.get(r['id'])
        if b is None:
            continue
        if r['passed'] != b['passed']:
            (fixed if r['passed'] else broken).append(r['id'])
        elif not r['passed']:
            ch = [f'{p} {"fixed" if ok else "broken"}' for p, ok in r['parts'].items()
                  if p in b['parts'] and b['parts'][p] != ok]
            if ch:
                parts.append(f'{r["id"]}: {", ".join(ch)}')
    was = sum(1 for r in results if r['id'] in before and before[r['id']]['passed'])
    now = sum(1 for r in results if r['id'] in before and r['passed'])
    loud(f'since {path}: {was} -> {now} passing, {len(fixed)} fixed, {len(broken)} broken',
         [f'fixed   {i}' for i in fixed] + [f'BROKEN  {i}' for i in broken] +
         [f'part    {x}' for x in parts])


def loud(title, lines):
    bar = '=' * 78
    print(f'\n{bar}\n{title}')
    for l in lines:
        print(f'  {l}')
    print(bar)


def select(cases, families, patterns):
    if families:
        want = set()
        for f in families:
            f = f.strip('/')
            m = [x for x in FAMILIES if x == f or x.split('/')[-1] == f
                 or x.startswith(f + '/')]
            if not m:
                raise SystemExit(f'run.py: unknown family {f!r}; one of {", ".join(FAMILIES)}')
            want.update(m)
        cases = [c for c in cases if c['family'] in want]
    if patterns:
        def hit(c):
            return any(fnmatch.fnmatchcase(c['id'], p) or fnmatch.fnmatchcase(c['name'], p)
                       for p in patterns)
        cases = [c for c in cases if hit(c)]
    return cases


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--egw', default=os.path.join(ROOT, 'build', 'src', 'egw'),
                    help='the egw binary (default build/src/egw)')
    ap.add_argument('--corpus', help='corpus folder (default $EGW_CONFORMANCE_DIR, '
                    'else ../shared/conformance from the repository root)')
    ap.add_argument('--family', action='append', default=[], help='only this family (repeatable)')
    ap.add_argument('--case', action='append', default=[],
                    help='only this case: family/case, case, or a glob (repeatable)')
    ap.add_argument('--show-diff', metavar='CASE', help='print the first differences of CASE')
    ap.add_argument('--diff-limit', type=int, default=25)
    ap.add_argument('--json', metavar='FILE', help='write machine-readable results')
    ap.add_argument('--update', action='store_true', help='rewrite passing.txt')
    ap.add_argument('--allow-drop', action='store_true',
                    help='with --update: drop listed cases that fail now')
    ap.add_argument('--self-test', action='store_true',
                    help='compare each golden with itself (and with mutations of itself)')
    ap.add_argument('--baseline', metavar='FILE',
                    help='an earlier --json FILE: list the cases and parts that changed')
    ap.add_argument('--list-failing', action='store_true', help='print every failing case')
    ap.add_argument('--no-snapshot', action='store_true',
                    help='run egw in place instead of a private copy (see snapshot_egw)')
    ap.add_argument('--parse-first', action='store_true',
                    help='run egw translate --parse-first: the parsed-documents path a '
                         're-translating host takes must pass the same cases')
    ap.add_argument('-j', '--jobs', type=int, default=max(2, os.cpu_count() or 2))
    a = ap.parse_args(argv)

    if yaml is None:
        return skip('PyYAML is not installed (python3 -m pip install pyyaml)')
    corpus = a.corpus or os.environ.get('EGW_CONFORMANCE_DIR') or \
        os.path.join(os.path.dirname(ROOT), 'shared', 'conformance')
    corpus = os.path.abspath(corpus)
    if not os.path.isfile(os.path.join(corpus, 'README.md')) and \
            not os.path.isdir(os.path.join(corpus, 'gatewayapi')):
        return skip(f'conformance corpus not found at {corpus} '
                    '(set EGW_CONFORMANCE_DIR or --corpus)')
    try:
        known = read_known()
    except ValueError as e:
        print(f'run.py: {e}', file=sys.stderr)
        return 2
    passing = read_passing()
    passing_parts = read_passing(PASSING_PARTS)
    for path, lst in ((PASSING, passing), (PASSING_PARTS, passing_parts)):
        if lst != sorted(set(lst)):
            print(f'run.py: {path} must be sorted and without duplicates '
                  '(run.py --update rewrites it)', file=sys.stderr)
            return 2
    both = sorted(set(passing) & set(known))
    if both:
        print(f'run.py: listed both as passing and as known difference: {", ".join(both)}',
              file=sys.stderr)
        return 2

    all_cases = discover(corpus)
    patterns = list(a.case) + ([a.show_diff] if a.show_diff else [])
    cases = select(all_cases, a.family, patterns)
    if not cases:
        print('run.py: no case matches', file=sys.stderr)
        return 2
    egw = os.path.abspath(a.egw)
    global PARSE_FIRST
    PARSE_FIRST = a.parse_first
    if a.parse_first and a.update:
        print('run.py: --update is for the default path, not --parse-first', file=sys.stderr)
        return 2
    if not a.self_test and not os.access(egw, os.X_OK):
        print(f'run.py: egw binary not found or not executable: {egw} (ninja -C build)',
              file=sys.stderr)
        return 1

    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix='egw-conformance-') as tmp:
        exe = egw
        if not a.self_test and not a.no_snapshot:
            exe = snapshot_egw(egw, tmp)
            if exe is None:
                print(f'run.py: cannot copy {egw}; is it being rebuilt?', file=sys.stderr)
                return 1
        with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, a.jobs)) as ex:
            if a.self_test:
                futs = [ex.submit(self_test_case, c) for c in cases]
            else:
                futs = [ex.submit(run_case, c, exe, egw) for c in cases]
            results = [f.result() for f in futs]
    elapsed = time.monotonic() - t0
    for r in results:
        r['known_difference'] = known.get(r['id'])

    if a.show_diff:
        for r in results:
            show_diff(r, a.diff_limit)
        return 0

    summary = summarize(results)
    print(f'conformance corpus: {corpus}')
    print(f'egw: {"(self-test, not run)" if a.self_test else egw}   '
          f'{len(results)} cases in {elapsed:.1f}s with {a.jobs} workers\n')
    print_table(summary)

    npass = sum(r['passed'] for r in results)
    nfail = len(results) - npass
    if a.json:
        with open(a.json, 'w') as f:
            json.dump({'corpus': corpus, 'egw': None if a.self_test else egw,
                       'self_test': a.self_test, 'selection': {'family': a.family,
                                                               'case': a.case},
                       'generated': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
                       'passed': npass, 'failed': nfail, 'parts': PARTS,
                       'summary': summary, 'cases': results}, f, indent=1)

    rc = 0
    if a.self_test:
        bad = [r for r in results if not r['passed']]
        if bad:
            loud(f'SELF-TEST FAILED for {len(bad)} cases (the harness, not egw, is wrong):', [])
            for r in bad[:20]:
                show_diff(r, 5)
            rc = 1
        print(f'conformance self-test: {npass} passed, {nfail} failed')
        return rc

    by_id = {r['id']: r for r in results}
    selected = set(by_id)
    full_run = not a.family and not a.case
    listed = set(passing)
    regressions = sorted(i for i in listed if i in by_id and not by_id[i]['passed'])
    missing = sorted(i for i in listed if i not in {c['id'] for c in all_cases}) if full_run else []
    new = sorted(r['id'] for r in results if r['passed'] and r['id'] not in listed
                 and r['id'] not in known)
    # parts: `id:part` lines, for cases that do not pass as a whole
    listed_parts = set(passing_parts)
    part_ok = {f'{r["id"]}:{p}': ok for r in results for p, ok in r['parts'].items()
               if len(r['parts']) > 1}
    part_regressions = sorted(i for i in listed_parts if part_ok.get(i) is False)
    new_parts = sorted(i for i, ok in part_ok.items() if ok and i not in listed_parts
                       and not by_id[i.rsplit(':', 1)[0]]['passed'])
    known_fixed = sorted(r['id'] for r in results if r['passed'] and r['id'] in known)
    stale_known = sorted(i for i in known if i not in {c['id'] for c in all_cases}) \
        if full_run else []

    if a.list_failing:
        print('\nfailing cases:')
        for r in results:
            if not r['passed']:
                kd = f'  [known difference: {r["known_difference"]}]' if r['known_difference'] else ''
                print(f'  {r["id"]}: {r["note"] or (r["diffs"][0][0] if r["diffs"] else "")}{kd}')

    if a.baseline:
        report_baseline(a.baseline, results)
    crashes = [r for r in results if r.get('crash')]
    if crashes:
        loud(f'egw CRASHED or hung in {len(crashes)} cases (run them under a debugger '
             'with the command from --show-diff):',
             [f'{r["id"]}: {r["crash"]}' for r in crashes])

    if regressions:
        loud(f'REGRESSION: {len(regressions)} cases listed in tests/conformance/passing.txt '
             'fail now', [])
        for i in regressions[:30]:
            show_diff(by_id[i], 6)
        if len(regressions) > 30:
            print(f'  ... and {len(regressions) - 30} more: '
                  + ' '.join(regressions[30:]))
    if part_regressions:
        loud(f'REGRESSION: {len(part_regressions)} parts listed in '
             'tests/conformance/passing-parts.txt fail now', [])
        for i in part_regressions[:30]:
            show_diff(by_id[i.rsplit(':', 1)[0]], 6)
        if len(part_regressions) > 30:
            print(f'  ... and {len(part_regressions) - 30} more: '
                  + ' '.join(part_regressions[30:]))
    if missing:
        loud('passing.txt lists cases that are not in the corpus:', missing)
    if stale_known:
        print('note: known-differences.txt lists cases not in the corpus: '
              + ', '.join(stale_known))
    if known_fixed:
        loud('KNOWN DIFFERENCES THAT NOW PASS: remove them from '
             'tests/conformance/known-differences.txt:', known_fixed)

    if a.update:
        keep = [i for i in listed if i not in selected and i not in missing]
        dropped = []
        for i in sorted(listed & selected):
            if by_id[i]['passed'] or not a.allow_drop:
                keep.append(i)
            else:
                dropped.append(i)
        if missing and not a.allow_drop:
            keep += missing
        elif missing:
            dropped += missing
        keep += new
        write_passing(keep)
        print(f'\nupdated {os.path.relpath(PASSING, ROOT)}: {len(set(keep))} cases '
              f'({len(new)} added, {len(dropped)} dropped)')
        if dropped:
            print('  dropped: ' + ' '.join(dropped))
        # A part line goes when its whole case passes (passing.txt covers it),
        # or, with --allow-drop, when it fails or its case is gone.
        whole = set(keep)
        pkeep, pdropped = [], []
        for i in sorted(listed_parts):
            cid = i.rsplit(':', 1)[0]
            if cid in whole:
                continue
            if i in part_ok:
                (pkeep if part_ok[i] or not a.allow_drop else pdropped).append(i)
            elif cid in selected or (full_run and a.allow_drop):
                (pdropped if a.allow_drop else pkeep).append(i)
            else:
                pkeep.append(i)
        pkeep += new_parts
        write_passing(pkeep, PASSING_PARTS)
        print(f'updated {os.path.relpath(PASSING_PARTS, ROOT)}: {len(set(pkeep))} parts '
              f'({len(new_parts)} added, {len(pdropped)} dropped)')
        if (regressions or missing or part_regressions) and not a.allow_drop:
            print('  failing listed cases were kept; pass --allow-drop to drop them')
            rc = 1
    else:
        if new:
            loud(f'NEWLY PASSING: {len(new)} cases pass but are not in '
                 'tests/conformance/passing.txt; run tests/conformance/run.py --update '
                 'and commit it:', new[:200] + (['...'] if len(new) > 200 else []))
        if new_parts:
            print(f'\n{len(new_parts)} parts pass in failing cases and are not in '
                  'tests/conformance/passing-parts.txt (run.py --update adds them)')
        if regressions or missing or part_regressions:
            rc = 1

    kd = sum(1 for r in results if not r['passed'] and r['known_difference'])
    if kd:
        print(f'of the failures, {kd} are listed known differences')
    print(f'conformance: {npass} passed, {nfail} failed')
    return rc


if __name__ == '__main__':
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet under `| head`
    sys.exit(main())
