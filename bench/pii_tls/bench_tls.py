#!/usr/bin/env python3
"""HTTPS cost: the same requests against a plain and a TLS lakehouse server, interleaved.
usage: bench_tls.py HTTP_PORT HTTPS_PORT CERT BIG_CSV [N_HEALTH N_DOWNLOAD N_UPLOAD] [RAW_JSON_OUT]"""
import http.client, json, os, ssl, statistics, sys, time
hp, sp, cert, big = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
n_health, n_dl, n_ul = (int(x) for x in sys.argv[5:8]) if len(sys.argv) > 7 else (500, 10, 5)
raw_out = sys.argv[8] if len(sys.argv) > 8 else "tls_raw.json"
ctx = ssl.create_default_context(cafile=cert)   # verifies the cert and its IP SAN
connects = {"http": 0, "https": 0}
class H(http.client.HTTPConnection):
    def connect(self): connects["http"] += 1; super().connect()
class S(http.client.HTTPSConnection):
    def connect(self): connects["https"] += 1; super().connect()
def new(kind):
    if kind == "http": return H("127.0.0.1", hp, blocksize=1 << 20)
    return S("127.0.0.1", sp, context=ctx, blocksize=1 << 20)
med = statistics.median
raw = {}
def interleave(name, n, fn, warm=3):
    """fn(kind) -> (seconds, extra). A,B then B,A each rep so order effects cancel."""
    for _ in range(warm):
        for k in ("http", "https"): fn(k)
    t = {"http": [], "https": []}; ex = {"http": [], "https": []}
    for i in range(n):
        for k in (("http", "https") if i % 2 == 0 else ("https", "http")):
            s, e = fn(k); t[k].append(s); ex[k].append(e)
    raw[name] = {"t": t, "extra": ex}
    pair = med([b / a for a, b in zip(t["http"], t["https"])])
    return t, ex, pair

rows = []
# (a) GET /health, one kept-alive connection each
keep = {k: new(k) for k in ("http", "https")}
def health_keep(k):
    c = keep[k]; t0 = time.perf_counter()
    c.request("GET", "/health"); r = c.getresponse(); r.read()
    assert r.status == 200
    return time.perf_counter() - t0, None
connects.update(http=0, https=0)
t, _, pair = interleave("health_keepalive", n_health, health_keep)
a_conn = dict(connects)
rows.append(("(a) GET /health, kept-alive", "ms", med(t["http"]) * 1e3, med(t["https"]) * 1e3, pair))
# (b) GET /health, a new connection per request (TCP connect + TLS handshake + request + close)
def health_new(k):
    t0 = time.perf_counter()
    c = new(k); c.request("GET", "/health"); r = c.getresponse(); r.read(); c.close()
    assert r.status == 200
    return time.perf_counter() - t0, None
t, _, pair = interleave("health_newconn", n_health, health_new)
rows.append(("(b) GET /health, new connection each", "ms", med(t["http"]) * 1e3, med(t["https"]) * 1e3, pair))
# (c) download: POST /query/export of range(10M) as CSV (~79 MB, chunked), read in 1 MiB pieces
EXPORT = json.dumps({"sql": "SELECT * FROM range(10000000) t(x)", "format": "csv"})
# The server closes a connection idle for 5 s (Keep-Alive: timeout=5) and with A,B,B,A a connection
# waits out two multi-second transfers, so (c) and (d) open a connection per request (inside the timing;
# a handshake is ~2 ms, under 0.2% of one transfer).
def download(k):
    t0 = time.perf_counter(); c = new(k)
    c.request("POST", "/query/export", EXPORT, {"Content-Type": "application/json"})
    r = c.getresponse(); n = 0
    while True:
        b = r.read(1 << 20)
        if not b: break
        n += len(b)
    c.close(); assert r.status == 200
    return time.perf_counter() - t0, n
t, ex, pair = interleave("download", n_dl, download, warm=1)
dl_bytes = ex["http"][0]
assert all(x == dl_bytes for k in ex for x in ex[k])
rows.append(("(c) download 10M-row CSV export", "s", med(t["http"]), med(t["https"]), pair))
dl_mbs = {k: dl_bytes / 1e6 / med(t[k]) for k in t}
# (d) upload: POST /ingest/file multipart with the big CSV (mode=replace so the dataset does not grow)
data = open(big, "rb").read()
bnd = "----lhbench7d1c"
body = (f"--{bnd}\r\nContent-Disposition: form-data; name=\"mode\"\r\n\r\nreplace\r\n"
        f"--{bnd}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nbig\r\n"
        f"--{bnd}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n"
        f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{bnd}--\r\n".encode()
del data
def upload(k):
    t0 = time.perf_counter(); c = new(k)
    c.request("POST", "/ingest/file", body, {"Content-Type": f"multipart/form-data; boundary={bnd}"})
    r = c.getresponse(); resp = r.read(); c.close(); dt = time.perf_counter() - t0
    assert r.status in (200, 201), (r.status, resp[:300])
    return dt, json.loads(resp).get("elapsed_ms")
t, ex, pair = interleave("upload", n_ul, upload, warm=1)
srv = {k: med(ex[k]) / 1e3 for k in ex}
rest = {k: med([a - b / 1e3 for a, b in zip(t[k], ex[k])]) for k in t}
rest_pair = med([(b - eb / 1e3) / (a - ea / 1e3) for a, b, ea, eb in zip(t["http"], t["https"], ex["http"], ex["https"])])
rows.append(("(d) upload CSV to /ingest/file", "s", med(t["http"]), med(t["https"]), pair))
ul_mbs = {k: len(body) / 1e6 / med(t[k]) for k in t}
json.dump(raw, open(raw_out, "w"))
print(f"reps: health {n_health}, download {n_dl}, upload {n_ul}; interleaved, order alternating per rep; warm-up discarded")
print(f"connections opened during (a), incl. warm-up: {a_conn}")
print("| test | unit | HTTP median | HTTPS median | ratio HTTPS/HTTP | per-pair ratio median |")
print("|---|---|---|---|---|---|")
for name, u, a, b, p in rows:
    f = "%.3f" if u == "ms" else "%.2f"
    print(f"| {name} | {u} | {f % a} | {f % b} | {b / a:.2f} | {p:.2f} |")
print(f"download: {dl_bytes:,} bytes; HTTP {dl_mbs['http']:.1f} MB/s, HTTPS {dl_mbs['https']:.1f} MB/s")
print(f"upload: {len(body):,} bytes; HTTP {ul_mbs['http']:.1f} MB/s, HTTPS {ul_mbs['https']:.1f} MB/s (whole request incl. ingest)")
print(f"upload server elapsed_ms median: HTTP {srv['http']:.2f} s, HTTPS {srv['https']:.2f} s; "
      f"wall minus elapsed_ms: HTTP {rest['http']:.2f} s, HTTPS {rest['https']:.2f} s (per-pair ratio {rest_pair:.2f})")
