#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Turns egw-bench JSON lines into a Markdown table and a scaling plot.

usage: report.py results.jsonl [--table FILE] [--plot FILE.png]
The plot needs matplotlib; it is pip-installed on demand (the table does not).
"""
import argparse
import json
import os
import subprocess
import sys


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


def name(r):
    return os.path.basename(r["file"]).rsplit(".", 1)[0]


def table(rows):
    # heap peak: the most bytes egw_translate held at once through the
    # host's allocator (the library's own memory); peak RSS: the whole
    # benchmark process, input buffer and stage-by-stage runs included
    # re-translate: egw_translate_documents from kept documents, against
    # egw_translate without its parse (1.00 = it costs the translation only);
    # its heap is the translation's alone (the documents are the host's)
    out = ["| workload | input | scan | parse | translate | serialize | total | total/scan | "
           "re-translate ÷ (total − parse) | heap peak | heap/input | re-translate heap | "
           "peak RSS | RSS/input | resources | statuses |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        s = r["seconds"]
        ms = lambda x: f"{x * 1000:.1f} ms"
        heap = r.get("translate_peak_bytes", 0)
        retr = s["retranslate"] / max(s["total"] - s["parse"], 1e-9)
        rheap = r.get("retranslate_peak_bytes", 0)
        out.append("| {} | {:.1f} MiB | {} | {} | {} | {} | {} | {:.2f} | {:.2f} | {:.0f} MiB | {:.1f} | {:.0f} MiB | {:.0f} MiB | {:.1f} | {} | {} |".format(
            name(r), r["input_bytes"] / 2**20, ms(s["yaml_scan"]), ms(s["parse"]), ms(s["translate"]),
            ms(s["serialize"]), ms(s["total"]), r["ratio_to_scan"]["total"],
            retr, heap / 2**20, heap / r["input_bytes"], rheap / 2**20,
            r["peak_rss_bytes"] / 2**20,
            r["peak_rss_bytes"] / r["input_bytes"], r["resources"], r["statuses"]))
    routes = [r for r in rows if name(r).startswith("routes-")]
    if len(routes) >= 2:
        routes.sort(key=lambda r: int(name(r).split("-")[1]))
        base = routes[0]
        n0 = int(name(base).split("-")[1])
        out.append("")
        # the scaling target compares with 1,000 routes
        k = [r for r in routes if name(r) == "routes-1000"]
        ref = k[0]["seconds"]["total"] / 1000 if k else None
        # the fastest repeat: noise on a shared machine only adds time
        fast = lambda r: r.get("fastest_seconds", r["seconds"])["total"]
        fref = fast(k[0]) / 1000 if k else None
        out.append("| routes | total per route (median) | vs. smallest | vs. 1,000 | "
                   "fastest per route | vs. 1,000 (fastest) |")
        out.append("|---:|---:|---:|---:|---:|---:|")
        for r in routes:
            n = int(name(r).split("-")[1])
            per = r["seconds"]["total"] / n
            vs = f"{per / ref:.2f}×" if ref else "–"
            fper = fast(r) / n
            fvs = f"{fper / fref:.2f}×" if fref else "–"
            out.append(f"| {n} | {per * 1e6:.1f} µs | {per / (base['seconds']['total'] / n0):.2f}× | {vs} | "
                       f"{fper * 1e6:.1f} µs | {fvs} |")
    return "\n".join(out) + "\n"


def plot(rows, path):
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "matplotlib"], check=False)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    routes = sorted((r for r in rows if name(r).startswith("routes-")),
                    key=lambda r: int(name(r).split("-")[1]))
    if not routes:
        return
    ns = [int(name(r).split("-")[1]) for r in routes]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for key, label in [("total", "whole pipeline"), ("parse", "parse"), ("translate", "translate"),
                       ("serialize", "serialize"), ("yaml_scan", "libyaml scan alone")]:
        ax.plot(ns, [r["seconds"][key] / n * 1e6 for r, n in zip(routes, ns)], marker="o", label=label)
    ax.set_xscale("log")
    ax.set_xlabel("HTTPRoutes (with their Services and EndpointSlices)")
    ax.set_ylabel("µs per route")
    ax.set_title("libegw: time per route against routes")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--table")
    ap.add_argument("--plot")
    a = ap.parse_args()
    rows = load(a.results)
    t = table(rows)
    if a.table:
        with open(a.table, "w") as f:
            f.write(t)
    else:
        sys.stdout.write(t)
    if a.plot:
        plot(rows, a.plot)


if __name__ == "__main__":
    main()
