#!/usr/bin/env python3
"""Pools the raw CSVs of several bench/forward.sh runs: for each row, respite against each peer
in the same round (run seconds apart): rounds where respite had more req/s, the median per-round
ratio of req/s, and rounds where respite used less CPU per request.

Usage: bench/forward_pooled.py bench/out/forward-A.csv bench/out/forward-B.csv ...
"""
import csv
import statistics
import sys
from collections import defaultdict

PEERS = ("twemproxy", "haproxy")


def main(paths):
    pooled = defaultdict(lambda: {"ahead": 0, "less_cpu": 0, "ratios": []})
    for path in paths:
        rows = list(csv.DictReader(open(path)))
        by_round = {(r["round"], r["target"], r["test"], r["clients"], r["pipeline"]): r
                    for r in rows}
        for (rnd, target, test, c, p), mine in by_round.items():
            if target != "respite":
                continue
            for peer in PEERS:
                theirs = by_round.get((rnd, peer, test, c, p))
                if theirs is None:
                    continue
                entry = pooled[(test, c, p, peer)]
                ratio = float(mine["rps"]) / float(theirs["rps"])
                entry["ratios"].append(ratio)
                entry["ahead"] += ratio > 1
                my_cpu = float(mine["proxy_cpu_s"]) / float(mine["requests"])
                their_cpu = float(theirs["proxy_cpu_s"]) / float(theirs["requests"])
                entry["less_cpu"] += my_cpu < their_cpu
    print(f"respite vs each peer, paired by round, pooled over {len(paths)} runs\n")
    print("| row | test | peer | rounds ahead | median req/s ratio | rounds with less CPU |")
    print("| --- | --- | --- | ---: | ---: | ---: |")
    for key in sorted(pooled, key=lambda k: (-int(k[1]), int(k[2]), k[0], k[3])):
        test, c, p, peer = key
        e = pooled[key]
        n = len(e["ratios"])
        print(f"| -c {c} -P {p} | {test} | {peer} | {e['ahead']}/{n} "
              f"| {statistics.median(e['ratios']):.2f} | {e['less_cpu']}/{n} |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
