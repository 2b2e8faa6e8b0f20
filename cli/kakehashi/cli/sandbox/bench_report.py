"""Turn a load run into the bench report: latency, throughput, API economy, cost, correctness."""

from __future__ import annotations

import statistics
from typing import Any

from kakehashi.cli.sandbox.load import LoadResult

MINIMUM_CALLS = 2  # per synced change: one read of the changed side, one write of the other


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def latency_summary(values: list[float]) -> dict[str, float | None]:
    ms = [v * 1000 for v in values]
    return {
        "p50": _r(percentile(ms, 50)),
        "p95": _r(percentile(ms, 95)),
        "p99": _r(percentile(ms, 99)),
        "max": _r(max(ms) if ms else None),
        "mean": _r(statistics.fmean(ms) if ms else None),
    }


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def summarize(
    result: LoadResult,
    api: dict[str, Any],
    processes: dict[str, dict[str, float | None]],
    verify: dict[str, Any],
    parameters: dict[str, Any],
) -> dict[str, Any]:
    changes = result.changes
    accepted = [c for c in changes if c.accepted_at is not None]
    synced = [c for c in accepted if c.seen_at is not None]
    errors = [c for c in changes if c.error is not None]
    lost = [c for c in accepted if c.seen_at is None]
    by_direction = {}
    for origin, label in (("garoon", "garoon->graph"), ("graph", "graph->garoon")):
        values = [c.latency for c in synced if c.origin == origin and c.latency is not None]
        by_direction[label] = {"synced": len(values), **latency_summary(values)}
    last_seen = max((c.seen_at for c in synced if c.seen_at), default=result.started)
    span = max(1e-9, last_seen - result.started)
    api_total = api["graph"] + api["garoon"]
    per_change = api_total / len(synced) if synced else None
    cpu: dict[str, float | None] = {}
    for name, p in processes.items():
        used = p.get("cpu_seconds")
        cpu[name] = round(used / len(accepted) * 1000, 2) if used is not None and accepted else None
    return {
        "parameters": parameters,
        "changes": {
            "offered": len(changes),
            "accepted": len(accepted),
            "synced": len(synced),
            "lost": len(lost),
            "errors": len(errors),
            "by_kind": {
                k: sum(1 for c in accepted if c.kind == k) for k in ("create", "update", "delete")
            },
        },
        "latency_ms": latency_summary([c.latency for c in synced if c.latency is not None]),
        "latency_ms_by_direction": by_direction,
        "throughput": {
            "offered_per_s": round(
                len(changes) / max(1e-9, result.generation_ended - result.started), 1
            ),
            "synced_per_s": round(len(synced) / span, 1),
        },
        "api_calls": {
            **api,
            "per_synced_change": None if per_change is None else round(per_change, 2),
            "minimum_per_change": MINIMUM_CALLS,
            "ratio_to_minimum": None
            if per_change is None
            else round(per_change / MINIMUM_CALLS, 2),
        },
        "cpu_seconds_per_1000_changes": cpu,
        "processes": processes,
        "duplicates": verify["totals"]["duplicates"],
        "lost": len(lost),
        "verify": {"clean": verify["clean"], "totals": verify["totals"]},
        "error_samples": sorted({c.error for c in errors if c.error})[:5],
    }


def table(report: dict[str, Any]) -> str:
    ch, lat, api, thr = (
        report["changes"],
        report["latency_ms"],
        report["api_calls"],
        report["throughput"],
    )
    rows = [
        (
            "changes offered / accepted / synced",
            f"{ch['offered']} / {ch['accepted']} / {ch['synced']}",
        ),
        (
            "lost / errors / duplicates",
            f"{report['lost']} / {ch['errors']} / {report['duplicates']}",
        ),
        ("latency p50 / p95 / p99 (ms)", f"{lat['p50']} / {lat['p95']} / {lat['p99']}"),
    ]
    for label, d in report["latency_ms_by_direction"].items():
        rows.append(
            (f"  {label} p50 / p99 (ms)", f"{d['p50']} / {d['p99']}  ({d['synced']} synced)")
        )
    rows += [
        (
            "throughput offered / synced (changes/s)",
            f"{thr['offered_per_s']} / {thr['synced_per_s']}",
        ),
        (
            "API calls Graph / Garoon",
            f"{api['graph']} / {api['garoon']}  (429: {api['graph_429']})",
        ),
        (
            "API calls per synced change",
            f"{api['per_synced_change']} (minimum {api['minimum_per_change']}, "
            f"ratio {api['ratio_to_minimum']})",
        ),
    ]
    for name, p in report["processes"].items():
        cpu = report["cpu_seconds_per_1000_changes"].get(name)
        rows.append(
            (f"process {name}", f"CPU s/1000 changes {cpu}, peak RSS {p.get('peak_rss_mb')} MB")
        )
    rows.append(
        (
            "verify",
            "clean" if report["verify"]["clean"] else f"NOT clean {report['verify']['totals']}",
        )
    )
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)
