"""`kakehashi bench`: a sandbox of its own, a load against it, and the report."""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kakehashi.cli.sandbox.bench_report import summarize, table
from kakehashi.cli.sandbox.clients import http_session
from kakehashi.cli.sandbox.load import Load, Mix
from kakehashi.cli.sandbox.options import SandboxOptions
from kakehashi.cli.sandbox.procstats import cpu_seconds, peak_rss_mb
from kakehashi.cli.sandbox.stack import Sandbox
from kakehashi.cli.sandbox.verifying import verify


@dataclass
class BenchOptions:
    users: int = 20
    rate: float = 20.0  # changes per second, both sides together
    duration: float = 60.0  # seconds of load
    settle: float = 30.0  # seconds to wait for the last changes to show
    mix: Mix | None = None
    processes: bool = False
    state_dir: Path = Path(".kakehashi/bench")
    report: Path = Path("bench-report.json")
    amqp_url: str | None = None
    mongodb_url: str | None = None
    seed: int = 7


def _pids(sb: Sandbox) -> dict[str, int]:
    if sb.processes is not None:
        pids = {name: proc.pid for name, proc in sb.processes.procs.items()}
        return pids | {"bench (simulators + load)": os.getpid()}
    return {"kakehashi (services + simulators + load)": os.getpid()}


def _api_calls(sb: Sandbox) -> dict[str, Any]:
    graph = [e for e in sb.graph.sim.request_log if str(e["path"]).startswith("/v1.0")]
    garoon = [e for e in sb.garoon.sim.log.entries if str(e["path"]).startswith("/g/")]
    endpoints = Counter(f"graph {e['method']} {e['endpoint']}" for e in graph)
    endpoints.update(f"garoon {e['endpoint']}" for e in garoon)
    return {
        "graph": len(graph),
        "garoon": len(garoon),
        "graph_429": sum(1 for e in graph if e["status"] == 429),
        "garoon_errors": sum(1 for e in garoon if int(e["status"]) >= 400),
        "top_endpoints": dict(endpoints.most_common(12)),
    }


async def run_bench(options: BenchOptions) -> dict[str, Any]:
    sandbox_options = SandboxOptions.ephemeral(options.state_dir)
    sandbox_options.users = options.users
    sandbox_options.processes = options.processes
    sandbox_options.amqp_url = options.amqp_url
    sandbox_options.mongodb_url = options.mongodb_url
    sandbox_options.log_level = "ERROR"  # retries under load are expected; the report counts
    mix = options.mix or Mix()
    async with Sandbox(sandbox_options) as sb, http_session(sb.manifest) as http:
        # Start-up traffic (renewal's subscriptions, first sweeps) is not the load's.
        sb.graph.sim.request_log.clear()
        sb.garoon.sim.log.clear()
        pids = _pids(sb)
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        load = Load(
            sb.manifest,
            http,
            sb.garoon.sim,
            sb.graph.sim,
            rate=options.rate,
            duration=options.duration,
            mix=mix,
            seed=options.seed,
        )
        result = await load.run(options.settle)
        api = _api_calls(sb)
        processes: dict[str, dict[str, float | None]] = {}
        for name, pid in pids.items():
            before, after = cpu_before[name], cpu_seconds(pid)
            used = None if before is None or after is None else round(after - before, 2)
            processes[name] = {"pid": pid, "cpu_seconds": used, "peak_rss_mb": peak_rss_mb(pid)}
        check = await verify(sb.manifest, days=31)
    parameters = {
        "users": options.users,
        "rate_per_s": options.rate,
        "duration_s": options.duration,
        "settle_s": options.settle,
        "mix": {"create": mix.create, "update": mix.update, "delete": mix.delete},
        "garoon_share": mix.garoon_share,
        "processes": options.processes,
        "bus": sb.describe_bus(),
        "store": sb.describe_store(),
    }
    return summarize(result, api, processes, check, parameters)


def write_report(report: dict[str, Any], path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    return table(report)
