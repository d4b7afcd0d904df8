#!/usr/bin/env python3
"""Builds a second labelled retrieval set from real text: the English manual
pages (sections 1 and 8) of Debian 12's essential packages. Each page is a
document (its DESCRIPTION section, as `man` renders it, at most 2,000 bytes);
its query is the one-line summary of its NAME section ("copy files and
directories"), which the document does not contain as such; the page is the
one relevant answer. BEIR layout: corpus.tsv, queries.tsv, qrels.tsv.

    python3 tools/make_manpage_set.py bench/data/manpages
"""
import os
import re
import subprocess
import sys

PACKAGES = ["coreutils", "findutils", "grep", "sed", "tar", "gzip", "util-linux", "procps", "bsdutils",
            "diffutils", "dpkg", "apt", "bash", "login", "passwd", "mount", "hostname"]
MAX_DOC = 2000


def pages():
    seen = set()
    for package in PACKAGES:
        files = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True).stdout.split()
        for f in sorted(files):
            if re.match(r"^/usr/share/man/man[18]/[^/]+\.gz$", f) and os.path.isfile(f) and not os.path.islink(f):
                name = os.path.basename(f)[: -len(".gz")]
                if name not in seen:
                    seen.add(name)
                    yield name, f


def render(path):
    env = dict(os.environ, MANWIDTH="10000", MAN_KEEP_FORMATTING="0", LANG="C.UTF-8")
    out = subprocess.run(["man", "-l", "-P", "cat", path], capture_output=True, text=True, env=env).stdout
    return re.sub(r".\x08", "", out)  # overstrike bold and underline


def sections(text):
    found, current = {}, None
    for line in text.splitlines():
        if re.match(r"^[A-Z][A-Z ]+$", line):
            current = line.strip()
            found[current] = []
        elif current:
            found[current].append(line.strip())
    return {k: " ".join(w for w in v if w) for k, v in found.items()}


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    corpus, queries, seen_queries = [], [], set()
    for name, path in pages():
        s = sections(render(path))
        summary = s.get("NAME", "")
        if " - " not in summary or not s.get("DESCRIPTION"):
            continue
        query = summary.split(" - ", 1)[1].strip().rstrip(".")
        doc = s["DESCRIPTION"][:MAX_DOC].rsplit(" ", 1)[0]
        if len(query.split()) < 3 or len(doc) < 200 or query.lower() in seen_queries:
            continue  # too short to ask, or two pages with one summary (aliases)
        seen_queries.add(query.lower())
        doc_id = "m" + str(len(corpus))
        corpus.append((doc_id, doc.replace("\t", " ")))
        queries.append(("q" + str(len(queries)), query.replace("\t", " "), doc_id, name))
    with open(os.path.join(out_dir, "corpus.tsv"), "w") as f:
        for doc_id, text in corpus:
            f.write(f"{doc_id}\t{text}\n")
    with open(os.path.join(out_dir, "queries.tsv"), "w") as f:
        for qid, text, _, _ in queries:
            f.write(f"{qid}\t{text}\n")
    with open(os.path.join(out_dir, "qrels.tsv"), "w") as f:
        for qid, _, doc_id, _ in queries:
            f.write(f"{qid}\t{doc_id}\t1\n")
    with open(os.path.join(out_dir, "pages.tsv"), "w") as f:
        for qid, _, doc_id, page in queries:
            f.write(f"{qid}\t{doc_id}\t{page}\n")
    print(f"{len(queries)} queries, {len(corpus)} documents in {out_dir}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench/data/manpages")
