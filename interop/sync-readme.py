#!/usr/bin/env python3
"""Copy the feature x direction table of a generated COMPATIBILITY.md into README.md, between
the `<!-- compat:begin -->` and `<!-- compat:end -->` markers. run.sh calls it after a full
(unfiltered) matrix run, so the README's table always comes from a test run.

usage: sync-readme.py COMPATIBILITY.md README.md"""
import sys

compat, readme = sys.argv[1], sys.argv[2]
lines = open(compat, encoding="utf-8").read().splitlines()
start = next(i for i, l in enumerate(lines) if l.startswith("| feature"))
end = start
while end < len(lines) and lines[end].startswith("|"):
    end += 1
table = "\n".join(lines[start:end])
text = open(readme, encoding="utf-8").read()
b, e = "<!-- compat:begin -->", "<!-- compat:end -->"
if b not in text or e not in text:
    sys.exit("README.md has no compat markers")
head, rest = text.split(b, 1)
_, tail = rest.split(e, 1)
new = f"{head}{b}\n{table}\n{e}{tail}"
if new != text:
    open(readme, "w", encoding="utf-8").write(new)
