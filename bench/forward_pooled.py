#!/usr/bin/env python3
"""respite against each peer proxy in the same round of bench/forward.sh, where a row's targets
ran seconds apart, pooled over the raw CSVs of one or more runs: rounds where respite had more
req/s, the median per-round req/s ratio, the median per-round ratio of CPU per request, and
rounds where respite used less CPU per request. forward.sh prints it for its own run.

Usage: bench/forward_pooled.py bench/out/forward-A.csv [bench/out/forward-B.csv ...]
"""
import csv
import statistics
import sys
from collections import defaultdict

PEERS = ("twemproxy", "haproxy")


def cpu_per_request(row):
    return float(row["proxy_cpu_s"]) / float(row["requests"])


def main(paths):
    pooled = defaultdict(lambda: {"rps": [], "cpu": []})
    for path in paths:
        with open(path) as f:
            by_round = {(r["round"], r["target"], r["test"], r["clients"], r["pipeline"]): r
                        for r in csv.DictReader(f)}
        for (rnd, target, test, c, p), mine in by_round.items():
            if target != "respite":
                continue
            for peer in PEERS:
                theirs = by_round.get((rnd, peer, test, c, p))
                if theirs is None:
                    continue
                entry = pooled[(test, c, p, peer)]
                entry["rps"].append(float(mine["rps"]) / float(theirs["rps"]))
                if cpu_per_request(theirs) > 0:  # a run too short for one clock tick has none
                    entry["cpu"].append(cpu_per_request(mine) / cpu_per_request(theirs))
    if not pooled:
        return  # respite or both peers were skipped
    print(f"respite vs each peer, paired by round ({len(paths)} run(s)): rounds ahead in req/s, "
          "median per-round ratios\n")
    print("| row | test | peer | ahead | req/s ratio | CPU/req ratio | less CPU |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: |")
    for key in sorted(pooled, key=lambda k: (-int(k[1]), int(k[2]), k[0], k[3])):
        test, c, p, peer = key
        rps, cpu = pooled[key]["rps"], pooled[key]["cpu"]
        cpu_ratio = f"{statistics.median(cpu):.2f}" if cpu else "-"
        print(f"| -c {c} -P {p} | {test} | {peer} | {sum(x > 1 for x in rps)}/{len(rps)} "
              f"| {statistics.median(rps):.2f} | {cpu_ratio} | {sum(x < 1 for x in cpu)}/{len(cpu)} |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
