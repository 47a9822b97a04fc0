#!/usr/bin/env python3
"""Turns the rows Benchmarks/sync-vs-peers.sh collected into the terminal table, the goals of
issue 6 (checked on the largest store) and a JSON file.

Usage: bench-table.py RESULTS.tsv DIR "FSTYPE OPTIONS" OUT.json
Rows: tool, scenario, records, seconds, bytes up, bytes down, peak RSS in KB; the aggregator's
peak is a row (aggregator, peak); the ingest row holds field changes in `records` and changed
records in `bytes up`; the province row (province, merge) the fields its merge transactions
applied, their seconds and the records; the floor row (floor, storage) documents and seconds.
"""
import json, platform, subprocess, sys, time

tsv, folder, fs, out = sys.argv[1:5]
rows = []
for line in open(tsv):
    tool, scenario, n, sec, up, down, rss = line.rstrip("\n").split("\t")
    rows.append(dict(tool=tool, scenario=scenario, records=int(n), seconds=float(sec),
                     bytesUp=int(up), bytesDown=int(down), peakRSSMB=round(int(rss) / 1024, 1)))

def find(tool, scenario, n):
    return next((r for r in rows if r["tool"] == tool and r["scenario"] == scenario and r["records"] == n), None)

def human(b):
    for unit in ("B", "kB", "MB", "GB"):
        if b < 1000 or unit == "GB":
            return ("%d %s" % (b, unit)) if unit == "B" else ("%.1f %s" % (b, unit))
        b /= 1000

def ratio(a, b):
    return "%.2f" % (a / b) if b else "-"

sizes = sorted({r["records"] for r in rows if r["tool"] == "agent"})
peers = [t for t in ("rsync", "git") if any(r["tool"] == t for r in rows)]
lines = []
head = "%-8s %-10s %-6s %9s %10s %10s %9s %12s %12s" % (
    "records", "scenario", "tool", "seconds", "sent", "received", "peak RSS", "agent/peer s", "agent/peer B")
lines += [head, "-" * len(head)]
for n in sizes:
    for scenario in ("initial", "no-change", "1%-change"):
        agent = find("agent", scenario, n)
        for tool in ["agent"] + peers:
            r = find(tool, scenario, n)
            if not r:
                continue
            rt = rb = ""
            if tool != "agent" and agent:
                rt = ratio(agent["seconds"], r["seconds"])
                rb = ratio(agent["bytesUp"] + agent["bytesDown"], r["bytesUp"] + r["bytesDown"])
            lines.append("%-8d %-10s %-6s %9.3f %10s %10s %6.1f MB %12s %12s" % (
                n, scenario, tool, r["seconds"], human(r["bytesUp"]), human(r["bytesDown"]), r["peakRSSMB"], rt, rb))
    for scenario, label in (("find", "floor: find -printf '%s %T@'"), ("sha256", "floor: read + SHA-256 of every file")):
        r = find("floor", scenario, n)
        if r:
            lines.append("%-8d %-17s %9.3f   %s" % (n, scenario + " floor", r["seconds"], label))
    r = find("aggregator", "peak", n)
    if r:
        lines.append("%-8d aggregator peak RSS %.1f MB" % (n, r["peakRSSMB"]))
ingest = next((r for r in rows if r["tool"] == "ingest"), None)
if ingest:
    rate = ingest["records"] / ingest["seconds"]
    lines.append("ingest   %s (agents x records): %d field changes (%d records) merged in %.3f s = %.0f field changes/s; aggregator peak RSS %.1f MB" % (
        ingest["scenario"], ingest["records"], ingest["bytesUp"], ingest["seconds"], rate, ingest["peakRSSMB"]))
province = next((r for r in rows if r["tool"] == "province" and r["scenario"] == "merge"), None)
cpu = next((r for r in rows if r["tool"] == "province" and r["scenario"] == "merge-cpu"), None)
floor = next((r for r in rows if r["tool"] == "floor" and r["scenario"] == "storage"), None)
def rate(r):
    return (r["records"] / r["seconds"], r["bytesUp"] / r["seconds"]) if r and r["seconds"] > 0 else None
for r, what in ((province, "time"), (cpu, "CPU time")):
    if rate(r):
        lines.append("province %d field changes (%d records) applied in %.3f s of merge transactions (%s) = %.0f field changes/s, %.0f records/s" % (
            r["records"], r["bytesUp"], r["seconds"], what, rate(r)[0], rate(r)[1]))
if floor and floor["seconds"] > 0:
    floorRate = floor["records"] / floor["seconds"]
    shares = ["%.0f %% of it in %s" % (100 * rate(r)[1] / floorRate, what) for r, what in ((province, "time"), (cpu, "CPU time")) if rate(r)]
    lines.append("floor    storage: %d documents written straight into SQLite (row + history, 250 per transaction) in %.3f s = %.0f records/s%s" % (
        floor["records"], floor["seconds"], floorRate, ("; the province merges at " + ", ".join(shares)) if shares else ""))
lines.append("stores on %s: %s" % (folder, fs))

goals = []
if sizes:
    n = max(sizes)
    a = {s: find("agent", s, n) for s in ("initial", "no-change", "1%-change")}
    rs = {s: find("rsync", s, n) for s in a}
    gt = {s: find("git", s, n) for s in a}
    def goal(text, ok):
        if ok is not None:
            goals.append(dict(goal=text, holds=bool(ok)))
    both = lambda r: r["bytesUp"] + r["bytesDown"]
    if gt["no-change"]: goal("no-change sync <= git's no-change (%d records)" % n, a["no-change"]["seconds"] <= gt["no-change"]["seconds"])
    if rs["no-change"]: goal("no-change sync <= 0.3 x rsync's", a["no-change"]["seconds"] <= 0.3 * rs["no-change"]["seconds"])
    if rs["1%-change"]: goal("1 % change sync (push, merge, pull) <= 0.5 x rsync's", a["1%-change"]["seconds"] <= 0.5 * rs["1%-change"]["seconds"])
    if gt["1%-change"]: goal("1 % change sync: fewer bytes than git (both ways)", both(a["1%-change"]) < both(gt["1%-change"]))
    if rs["initial"]: goal("initial full upload <= 1.0 x rsync's", a["initial"]["seconds"] <= rs["initial"]["seconds"])
    if ingest:
        if rate(province):
            goal("aggregator >= 50,000 field changes/s (time in its merge transactions, 18 agents on the same cores)", rate(province)[0] >= 50000)
        if rate(cpu):
            goal("aggregator >= 50,000 field changes/s (CPU time of its merge transactions)", rate(cpu)[0] >= 50000)
        goal("%s agents x records changed, merged in <= 2 s (goal: 18 x 1000)" % ingest["scenario"], ingest["seconds"] <= 2)
    goal("agent peak RSS <= 100 MB", max(r["peakRSSMB"] for r in rows if r["tool"] == "agent" and r["records"] == n) <= 100)
    aggs = [r["peakRSSMB"] for r in rows if r["tool"] in ("aggregator", "ingest")]
    if aggs: goal("aggregator peak RSS <= 300 MB", max(aggs) <= 300)
    lines.append("goals of issue 6 at %d records:" % n)
    lines += ["  [%s] %s" % ("holds" if g["holds"] else "MISSED", g["goal"]) for g in goals]

print("\n".join(lines))
try:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
except OSError:
    commit = ""
json.dump(dict(date=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), commit=commit, host=platform.node(),
               storeDir=folder, fileSystem=fs, rows=rows, goals=goals, table="\n".join(lines)),
          open(out, "w"), indent=2, ensure_ascii=False)
print("written to %s" % out)
