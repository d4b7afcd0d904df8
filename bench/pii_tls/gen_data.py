#!/usr/bin/env python3
"""Generate bench data: customers.csv (1M rows, PII), small.csv, big.csv (~100 MB)."""
import random, sys
random.seed(42)
cards = ["4111 1111 1111 1111", "5555 5555 5555 4444", "4012 8888 8888 1881"]
def luhn_ok(s):
    d = [int(c) for c in s if c.isdigit()][::-1]
    t = sum(x if i % 2 == 0 else (x*2 - 9 if x*2 > 9 else x*2) for i, x in enumerate(d))
    return t % 10 == 0
assert all(luhn_ok(c) for c in cards)
def write(path, n):
    with open(path, "w") as f:
        f.write("id,email,card,amount,region\n")
        for i in range(n):
            f.write(f"{i},person{i}@example.org,{cards[i % 3]},{random.uniform(1, 1000):.2f},r{i % 10}\n")
write("customers.csv", 1_000_000)
write("small.csv", 1_000)
# ~100 MB upload file (same schema): 1.6M rows
write("big.csv", 1_600_000)
