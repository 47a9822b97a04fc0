#!/usr/bin/env python3
"""Edits COUNT record files of FOLDER in place, 1–3 fields each, the same way for the same SEED.

Usage: change-records.py FOLDER COUNT [SEED]     prints the number of fields changed.
The benchmarks run it on identical copies of a store so that every tool syncs the same edit.
The file is rewritten in the store's layout (sorted keys, two-space indent, UTF-8).
"""
import json, os, random, sys

folder, count = sys.argv[1], int(sys.argv[2])
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 42)
names = sorted(n for n in os.listdir(folder) if n.endswith(".json"))
fields = 0
for name in rng.sample(names, min(count, len(names))):
    path = os.path.join(folder, name)
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    d["employees"] = d.get("employees", 0) + 1
    fields += 1
    if rng.random() < 0.5:
        d.setdefault("contact", {})["phone"] = "139%08d" % rng.randrange(10**8)
        fields += 1
    if rng.random() < 0.3:
        d["revenueYuan"] = d.get("revenueYuan", 0) + 1000
        fields += 1
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(d, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
print(fields)
