#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Extension hooks against Envoy Gateway's goldens: every xds/extension-xds-ir
case of the corpus (../shared/conformance) is translated through the Python
bindings with ext_server.py's hooks (Envoy Gateway's test extension server)
and compared with the golden by run.py's rules, then held by a ratchet.

  run_extensions.py                  test mode: exit 1 if a case in
                                     passing-extensions.txt fails
  run_extensions.py --update         rewrite passing-extensions.txt
  run_extensions.py --show-diff CASE first differences of one case

Each case is scored on two parts:
  xds         fail-open (as Envoy Gateway's goldens were made): the output
              equals the golden;
  failClosed  fail-closed: where a hook failed fail-open, the fleet fails,
              saying which hook or why, and its error holds Envoy Gateway's
              text for the cases its fail-closed test lists (EG_ERRORS);
              where none failed, the output is the fail-open one.
An empty input file is Envoy Gateway's empty IR; libegw wants a document,
so the runner passes `{}` for it.

Out of reach by design: in extensionpolicy-extension-server-error and
http-route-extension-translate-error Envoy Gateway's fail-open goldens keep
part of what the failing PostTranslateModify would have made (the injected
secret; a system CA secret), while libegw ignores a failed hook's output.
Nine more cases need PostEndpointsModify, which the hooks call once
egw_hook_point has it (src/xds/hooks.c).

Needs the library (EGW_LIBRARY_PATH, default build/src) and cffi; exits 77
(skipped) without cffi, PyYAML or the corpus, except with CI=true.
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import run as conf  # noqa: E402 - the comparison rules live there

PASSING = os.path.join(HERE, 'passing-extensions.txt')
FAMILY = 'xds/extension-xds-ir'
# Envoy Gateway's TestTranslateXdsWithExtensionErrorsWhenFailClosed: the
# extension's error (gRPC's "rpc error: code = Unknown desc = " left out).
EG_ERRORS = {
    'http-route-extension-route-error': 'route hook resource error',
    'http-route-extension-listener-error': 'extension post xds listener hook error',
    'http-route-extension-translate-error': 'cluster hook resource error: fail-close-error',
    'multiple-listeners-same-port-error':
        'simulate error when there is no default filter chain in the original resources',
    'extensionpolicy-extension-server-error': 'invalid extension policy : ext-server-policy-invalid-test',
    'http-route-custom-backend-error': 'inference pool target port number is 0',
}


def load_egw():
    try:
        import cffi  # noqa: F401
    except ImportError:
        return None, 'cffi is not installed'
    os.environ.setdefault('EGW_LIBRARY_PATH', os.path.join(ROOT, 'build', 'src'))
    sys.path.insert(0, os.path.join(ROOT, 'bindings', 'python'))
    import egw
    import ext_server
    return (egw, ext_server), None


def translate(egw, ext_server, text, fail_open):
    """(fleet JSON text or None, error text or None, hook failures, calls)."""
    rec = ext_server.Recorder()
    try:
        r = egw.translate(('in.yaml', text if text.strip() else '{}'), from_='xds-ir',
                          hooks=rec, hooks_fail_open=fail_open)
    except egw.HookError as e:
        return None, str(e), [c for c in rec.calls if c[3]], rec.calls
    with r:
        if len(r.fleets) != 1:
            return None, f'{len(r.fleets)} fleets', [c for c in rec.calls if c[3]], rec.calls
        f = r.fleets[0]
        return f.to_json(fmt='json-compact'), f.error or None, [c for c in rec.calls if c[3]], rec.calls


def hook_name(p):
    return {0: 'PostRouteModify', 1: 'PostVirtualHostModify', 2: 'PostHTTPListenerModify',
            3: 'PostClusterModify', 4: 'PostTranslateModify', 5: 'PostEndpointsModify'}.get(int(p), str(p))


def run_case(mods, case):
    egw, ext = mods
    t0 = time.monotonic()
    with open(os.path.join(case['dir'], 'in', case['name'] + '.yaml')) as fh:
        text = fh.read()
    exp = conf.expected(case)
    notes = []
    out, err, failed, _ = translate(egw, ext, text, True)
    if out is None:
        parts, diffs, note = {'xds': False}, [], f'fail-open translation failed: {err}'
    else:
        parts, diffs, note = conf.score(case, exp, conf.Run(0, out, ''), 'json')
        if err:
            notes.append(f'fail-open fleet error: {err}')
            parts['xds'] = False
    if note:
        notes.append(note)

    # fail-closed
    cout, cerr, cfailed, _ = translate(egw, ext, text, False)
    ok = True
    want = EG_ERRORS.get(case['name'])
    if failed or want:
        texts = [c[3] for c in cfailed]
        if not cerr:
            ok = False
            notes.append('fail-closed: a hook failed, the fleet did not')
        elif not any(t in cerr for t in texts) and \
                not any(hook_name(c[0]) in cerr for c in cfailed):
            ok = False
            notes.append(f'fail-closed: the fleet error says neither which hook failed nor why: '
                         f'{cerr[:200]}')
        if want and (not cerr or want not in cerr):
            ok = False
            notes.append(f'fail-closed: expected the fleet error to hold Envoy Gateway\'s "{want}", '
                         f'got {cerr!r}')
    elif cerr or cout != out:
        ok = False
        notes.append(f'fail-closed differs from fail-open though no hook failed: {cerr}')
    parts['failClosed'] = ok
    return conf.result(case, parts, diffs, '; '.join(notes) or None, time.monotonic() - t0,
                       f'egw.translate(in/{case["name"]}.yaml, from_="xds-ir", hooks=ext_server)')


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--corpus', default=os.environ.get('EGW_CONFORMANCE_DIR')
                    or os.path.join(os.path.dirname(ROOT), 'shared', 'conformance'))
    ap.add_argument('--show-diff', metavar='CASE')
    ap.add_argument('--diff-limit', type=int, default=conf.MAX_DIFFS)
    ap.add_argument('--update', action='store_true', help='rewrite passing-extensions.txt')
    ap.add_argument('--allow-drop', action='store_true',
                    help='with --update: drop listed cases that fail now')
    a = ap.parse_args(argv)

    if conf.yaml is None:
        return conf.skip('PyYAML is not installed')
    if not os.path.isdir(os.path.join(a.corpus, FAMILY)):
        return conf.skip(f'no corpus at {a.corpus}')
    mods, why = load_egw()
    if mods is None:
        return conf.skip(why)

    cases = [c for c in conf.discover(a.corpus) if c['family'] == FAMILY]
    if a.show_diff:
        sel = [c for c in cases if a.show_diff in (c['name'], c['id'])]
        if not sel:
            print(f'no case {a.show_diff}', file=sys.stderr)
            return 2
        cases = sel
    results = [run_case(mods, c) for c in cases]
    if a.show_diff:
        for r in results:
            conf.show_diff(r, a.diff_limit)
        return 0

    passed = sorted(r['id'] for r in results if r['passed'])
    for r in results:
        parts = '  '.join(f'{p}={"ok" if ok else "DIFF"}' for p, ok in r['parts'].items())
        print(f'{"PASS" if r["passed"] else "FAIL"} {r["case"]:48} {parts}'
              + (f'\n     {r["note"][:300]}' if r['note'] and not r['passed'] else ''))
    print(f'{FAMILY} with extension hooks: {len(passed)}/{len(results)} passed')

    listed = conf.read_passing(PASSING)
    broken = [i for i in listed if i not in passed and any(r['id'] == i for r in results)]
    if a.update:
        if broken and not a.allow_drop:
            print('refusing to drop passing cases that fail now (--allow-drop):\n  '
                  + '\n  '.join(broken))
            return 1
        conf.write_passing(passed, PASSING)
        print(f'wrote {PASSING} ({len(passed)} cases)')
        return 0
    new = [i for i in passed if i not in listed]
    if new:
        print(f'{len(new)} case(s) pass that passing-extensions.txt does not list '
              '(run with --update):\n  ' + '\n  '.join(new))
    if broken:
        print(f'REGRESSION: {len(broken)} case(s) in passing-extensions.txt fail:\n  '
              + '\n  '.join(broken))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
