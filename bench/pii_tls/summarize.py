#!/usr/bin/env python3
"""Pool the raw JSON of the runs: medians over all reps, per-pair ratio medians, per-run ratios."""
import json, statistics as s, glob
med = s.median
print("PII (masked key vs pii key)")
runs = [json.load(open(f)) for f in sorted(glob.glob("pii_raw_run*.json"))]
print("| q | masked wall ms | pii wall ms | ratio | pooled per-pair | per-run per-pair | masked elapsed_ms | pii elapsed_ms | elapsed ratio |")
for q in runs[0]:
    mw = sum((r[q]["masked"]["wall"] for r in runs), []); pw = sum((r[q]["pii"]["wall"] for r in runs), [])
    ms = sum((r[q]["masked"]["srv"] for r in runs), []); ps = sum((r[q]["pii"]["srv"] for r in runs), [])
    pair = med([a / b for a, b in zip(mw, pw)])
    per = [med([a / b for a, b in zip(r[q]["masked"]["wall"], r[q]["pii"]["wall"])]) for r in runs]
    print(f"| ({q}) | {med(mw):.1f} | {med(pw):.1f} | {med(mw)/med(pw):.2f} | {pair:.2f} | {' / '.join('%.2f' % x for x in per)} | "
          f"{med(ms):.1f} | {med(ps):.1f} | {med(ms)/med(ps):.2f} | n={len(mw)}")
print("TLS (HTTPS vs HTTP)")
runs = [json.load(open(f)) for f in sorted(glob.glob("tls_raw_run*.json"))]
for t in runs[0]:
    a = sum((r[t]["t"]["http"] for r in runs), []); b = sum((r[t]["t"]["https"] for r in runs), [])
    pair = med([y / x for x, y in zip(a, b)])
    per = [med([y / x for x, y in zip(r[t]["t"]["http"], r[t]["t"]["https"])]) for r in runs]
    q = lambda v, p: s.quantiles(v, n=4)[p]
    print(f"{t}: n={len(a)} HTTP {med(a)*1e3:.3f} ms [IQR {q(a,0)*1e3:.3f}-{q(a,2)*1e3:.3f}], HTTPS {med(b)*1e3:.3f} ms "
          f"[IQR {q(b,0)*1e3:.3f}-{q(b,2)*1e3:.3f}], ratio {med(b)/med(a):.2f}, pooled per-pair {pair:.2f}, per-run {' / '.join('%.2f' % x for x in per)}")
