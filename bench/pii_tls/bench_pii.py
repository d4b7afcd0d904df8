#!/usr/bin/env python3
"""PII masking cost in SQL: masked key vs pii-grant key, interleaved, kept-alive connections.
usage: bench_pii.py PORT KEY_MASKED KEY_PII [REPS] [RAW_JSON_OUT]"""
import http.client, json, statistics, sys, time
port, km, kp = int(sys.argv[1]), sys.argv[2], sys.argv[3]
reps = int(sys.argv[4]) if len(sys.argv) > 4 else 30
QUERIES = {
    "a": "SELECT count(*), sum(amount) FROM customers",
    "b": "SELECT region, count(DISTINCT email) FROM customers GROUP BY region",
    "c": "SELECT email, card FROM customers WHERE id < 10000",
    "d": "SELECT lower(email) FROM customers LIMIT 10000",
    "e": "SELECT max(length(email)), max(length(card)) FROM customers",  # extra: every row's mask, tiny answer
    "z": "SELECT 1",   # control, not in the brief: fixed per-request cost of each key
}
conns = {"masked": http.client.HTTPConnection("127.0.0.1", port),
         "pii": http.client.HTTPConnection("127.0.0.1", port)}
keys = {"masked": km, "pii": kp}
def run(who, sql):
    c = conns[who]
    body = json.dumps({"sql": sql})
    t0 = time.perf_counter()
    c.request("POST", "/query/sql", body, {"X-Api-Key": keys[who], "Content-Type": "application/json"})
    r = c.getresponse(); data = r.read()
    dt = (time.perf_counter() - t0) * 1000
    assert r.status == 200, (r.status, data[:300])
    j = json.loads(data)
    return dt, j["elapsed_ms"], len(data), j
res = {q: {w: {"wall": [], "srv": []} for w in conns} for q in QUERIES}
info = {}
for q, sql in QUERIES.items():           # warm-up, discarded; keep a sample of each answer
    for w in conns:
        for _ in range(3):
            _, _, n, j = run(w, sql)
        info[(q, w)] = (n, j["row_count"], j["rows"][:2])
for i in range(reps):
    for q, sql in QUERIES.items():
        order = ("masked", "pii") if i % 2 == 0 else ("pii", "masked")   # A,B / B,A: order effects cancel
        for w in order:
            dt, srv, _, _ = run(w, sql)
            res[q][w]["wall"].append(dt); res[q][w]["srv"].append(srv)
json.dump(res, open(sys.argv[5] if len(sys.argv) > 5 else "pii_raw.json", "w"))
med = statistics.median
print(f"reps={reps} (interleaved, order alternating per rep; 3 warm-up runs each discarded)")
print("| query | masked wall ms | pii wall ms | wall ratio masked/pii | per-pair ratio median | masked elapsed_ms | pii elapsed_ms | elapsed ratio | resp bytes masked / pii | rows |")
print("|---|---|---|---|---|---|---|---|---|---|")
out = {}
for q in QUERIES:
    m, p = res[q]["masked"], res[q]["pii"]
    pair = med([a / b for a, b in zip(m["wall"], p["wall"])])
    mw, pw, ms, ps = med(m["wall"]), med(p["wall"]), med(m["srv"]), med(p["srv"])
    print(f"| ({q}) | {mw:.1f} | {pw:.1f} | {mw/pw:.2f} | {pair:.2f} | {ms:.1f} | {ps:.1f} | {ms/ps:.2f} | "
          f"{info[(q,'masked')][0]:,} / {info[(q,'pii')][0]:,} | {info[(q,'masked')][1]} |")
for (q, w), (n, rc, rows) in info.items():
    print(f"sample ({q}) {w}: {json.dumps(rows)[:160]}")
