#!/usr/bin/env python3
"""Builds tests/fixtures/real/pii_labelled.tsv: values from files on a Debian
system (dpkg's status file, package copyrights, tzdata, distro-info, iso-codes)
plus generated PII inside free text, each labelled with the kinds of PII it
holds (comma-separated; '-' for none). Run once; the output is committed."""
import glob, json, random, re, sys

# seed 11: the sample the rules were tuned on; another seed (23): a held-out one.
SEED = int(sys.argv[1]) if len(sys.argv) > 1 else 11
OUT = sys.argv[2] if len(sys.argv) > 2 else 'tests/fixtures/real/pii_labelled.tsv'
random.seed(SEED)
rows = []
def add(kinds, text):
    text = text.replace('\t', ' ').replace('\n', ' ').strip()
    if text:
        rows.append((','.join(sorted(kinds)) or '-', text))

status = open('/var/lib/dpkg/status', encoding='utf-8', errors='replace').read().split('\n')
maint = [l for l in status if l.startswith('Maintainer:')]
for l in random.sample(maint, 60): add({'email'}, l)
desc = [l.strip() for l in status if l.startswith(' ') and len(l) > 30 and '@' not in l and 'http' not in l]
for l in random.sample(desc, 80): add(set(), l)
for f in random.sample(sorted(glob.glob('/usr/share/doc/*/copyright')), 40):
    for l in open(f, encoding='utf-8', errors='replace'):
        if re.search(r'<[^>@ ]+@[^> ]+\.[a-z]+>', l):
            add({'email'}, l)
            break
for l in open('/usr/share/zoneinfo/zone.tab'):
    if not l.startswith('#') and random.random() < 0.15: add(set(), l)
for l in open('/usr/share/distro-info/debian.csv'): add(set(), l)
iso = json.load(open('/usr/share/iso-codes/json/iso_3166-1.json'))['3166-1']
for c in random.sample(iso, 40): add(set(), f"{c['name']} {c['alpha_3']} {c['numeric']}")
# Numbers that are not PII: counts, versions, sizes, dates, coordinates.
for _ in range(40):
    add(set(), f"{random.randint(1,9)} {random.randint(100,999)} {random.randint(10,99)} boxes, version {random.randint(1,9)}.{random.randint(0,20)}.{random.randint(0,9)}, {random.randint(1,28)}/{random.randint(1,12)}/2024")

def luhn(prefix, n):
    d = [int(c) for c in prefix] + [random.randint(0, 9) for _ in range(n - len(prefix) - 1)]
    s = 0
    for i, x in enumerate(reversed(d)):
        y = x * 2 if i % 2 == 0 else x
        s += y - 9 if y > 9 else y
    return ''.join(map(str, d + [(10 - s % 10) % 10]))
def iban():
    bank = ''.join(str(random.randint(0, 9)) for _ in range(18))
    num = int(bank + '131400')  # DE
    return f"DE{98 - num % 97:02d}{bank}"
names = ['Ana Souza', 'Li Wei', 'Mark Jones', 'Fatima Khan', 'Ole Berg']
for _ in range(30):
    c = luhn(random.choice(['4', '51', '37']), 16)
    add({'card'}, f"{random.choice(names)} paid with card {' '.join(c[i:i+4] for i in range(0, 16, 4))} on Monday")
for _ in range(25):
    i = iban()
    add({'iban'}, f"Refund to {' '.join(i[k:k+4] for k in range(0, len(i), 4))} (account of {random.choice(names)})")
for _ in range(25):
    add({'ssn'}, f"SSN {random.randint(100,665)}-{random.randint(10,99)}-{random.randint(1000,9999)} on file for {random.choice(names)}")
for _ in range(30):
    add({'phone'}, random.choice([
        f"Call {random.choice(names)} at +1 415-{random.randint(200,999)}-{random.randint(1000,9999)} after 5pm",
        f"office: (020) {random.randint(1000,9999)} {random.randint(1000,9999)}, ask for sales",
        f"mobile +49 151 {random.randint(1000000,9999999)}"]))
for _ in range(20):
    add({'ip_address'}, f"login from {random.randint(1,223)}.{random.randint(0,255)}.{random.randint(0,255)}.{random.randint(1,254)} failed twice")
hexd = '0123456789abcdef'
b64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789./'
for _ in range(20):
    add({'credential'}, random.choice([
        "$2b$12$" + ''.join(random.choice(b64) for _ in range(53)),
        "*" + ''.join(random.choice(hexd.upper()) for _ in range(40)),
        "token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0." + ''.join(random.choice(b64[:-2] + '-_') for _ in range(43)),
        "$6$" + ''.join(random.choice(b64) for _ in range(8)) + "$" + ''.join(random.choice(b64) for _ in range(86))]))
for _ in range(15):
    add({'email', 'phone'}, f"Contact {random.choice(names)} <{random.choice(['ana','li','mj'])}{random.randint(1,99)}@example.org>, tel. +44 20 {random.randint(1000,9999)} {random.randint(1000,9999)}")
with open(OUT, 'w') as out:
    out.write(f'# kinds<TAB>text; built by scripts/make_pii_sample.py {SEED}\n')
    for k, t in rows: out.write(f"{k}\t{t}\n")
print(len(rows), 'rows')
