#!/usr/bin/env python3
"""Generate a text-like tree for the archive benchmark (not random bytes).

Usage: gen-archive-tree.py DIR [TOTAL_BYTES] [FILES]
Defaults: 1 GB in 20,000 files, ~100 directories. Content is built from lines of the
text files under /usr/include, /usr/share/perl and /usr/lib/python3*, taken in runs
from random places, so it compresses like source code and docs (about 4:1 with gzip).
Deterministic for a given seed.
"""
import os, random, sys

def corpus_lines(limit=40_000_000):
    lines, total = [], 0
    for top in ["/usr/include", "/usr/share/perl", "/usr/lib/python3", "/usr/share/perl5"]:
        for dirpath, _, names in os.walk(top):
            for name in sorted(names):
                if not name.endswith((".h", ".pm", ".py", ".pl", ".txt", ".pod")):
                    continue
                try:
                    with open(os.path.join(dirpath, name), "rb") as f:
                        data = f.read()
                except OSError:
                    continue
                lines.extend(data.splitlines(keepends=True))
                total += len(data)
                if total > limit:
                    return lines
    return lines

def main():
    root = sys.argv[1]
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000_000
    files = int(sys.argv[3]) if len(sys.argv) > 3 else 20_000
    rng = random.Random(42)
    lines = corpus_lines()
    if not lines:
        sys.exit("no text corpus found")
    # Log-normal-ish sizes scaled to the total.
    weights = [rng.lognormvariate(0, 1.2) for _ in range(files)]
    scale = total / sum(weights)
    dirs = [os.path.join(root, "d%02d" % (i // 10), "s%03d" % i) for i in range(100)]
    for d in dirs:
        os.makedirs(d, exist_ok=True)
    written = 0
    for i, w in enumerate(weights):
        size = max(1, int(w * scale))
        out, n = [], 0
        while n < size:
            start = rng.randrange(len(lines))
            run = lines[start:start + rng.randrange(20, 400)]
            chunk = b"".join(run)
            out.append(chunk)
            n += len(chunk)
        data = b"".join(out)[:size]
        with open(os.path.join(dirs[i % len(dirs)], "f%05d.txt" % i), "wb") as f:
            f.write(data)
        written += len(data)
    print(f"{files} files, {written} bytes under {root}")

main()
