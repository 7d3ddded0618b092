#!/usr/bin/env python3
"""Prints the comparison table from run-comparison.sh's raw results (medians, with ratios).

Input lines: LABEL<TAB>GUARANTEE<TAB>THREADS<TAB>(RESULT k=v ... | FAILED | UNAVAILABLE).
Every figure is the median over the runs of that row (each metric separately). Ratios compare
Flowstate's events/s with Quix Streams' and with the passthrough's at the same guarantee.
"""
import statistics
import sys
from collections import OrderedDict


def number_or_text(value):
    try:
        return float(value)
    except ValueError:
        return value  # e.g. allocator=jemalloc


def parse(line):
    return {key: number_or_text(value) for key, value in (part.split("=", 1) for part in line.split()[1:])}


def main():
    path, statements, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rows = OrderedDict()
    for raw in open(path):
        label, guarantee, threads, result = raw.rstrip("\n").split("\t", 3)
        row = rows.setdefault((label, guarantee, threads), {"results": [], "failed": 0, "unavailable": False})
        if result.startswith("RESULT"):
            row["results"].append(parse(result))
        elif result == "UNAVAILABLE":
            row["unavailable"] = True
        else:
            row["failed"] += 1

    def median(row, key):
        values = [r[key] for r in row["results"] if key in r and r[key] >= 0]
        return statistics.median(values) if values else None

    def rate_of(label, guarantee):
        for (l, g, _), row in rows.items():
            if l == label and g == guarantee and row["results"]:
                return median(row, "events_per_s")
        return None

    print(f"Statement lifecycle: {statements:,} statements × 7 transitions = {7 * statements:,} events per run; "
          f"median of {runs} run(s) per row.")
    print()
    print("| system | guarantee | threads | events/s | p50 ms | p99 ms | peak RSS MiB | CPU s / M events "
          "| ÷ Quix | ÷ passthrough |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")

    def fmt(value, digits=0):
        return "–" if value is None else f"{value:,.{digits}f}"

    for (label, guarantee, threads), row in rows.items():
        if row["unavailable"]:
            print(f"| {label} | {guarantee} | {threads} | not yet available | | | | | | |")
            continue
        if not row["results"]:
            print(f"| {label} | {guarantee} | {threads} | failed ({row['failed']} runs) | | | | | | |")
            continue
        rate = median(row, "events_per_s")
        vs_quix = vs_ceiling = "–"
        if label.startswith("Flowstate") and guarantee != "-":
            quix, ceiling = rate_of("Quix Streams", guarantee), rate_of("librdkafka passthrough (C)", guarantee)
            vs_quix = f"{rate / quix:.1f}×" if quix else "–"
            vs_ceiling = f"{100 * rate / ceiling:.0f}%" if ceiling else "–"
        note = f" ({row['failed']} failed)" if row["failed"] else ""
        print(f"| {label}{note} | {guarantee} | {threads} | {fmt(rate)} | {fmt(median(row, 'p50_ms'))} "
              f"| {fmt(median(row, 'p99_ms'))} | {fmt(median(row, 'peak_rss_mib'))} "
              f"| {fmt(median(row, 'cpu_s_per_million_events'), 1)} | {vs_quix} | {vs_ceiling} |")


if __name__ == "__main__":
    main()
