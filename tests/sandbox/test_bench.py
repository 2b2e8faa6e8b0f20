"""`kakehashi bench` with tiny parameters: it runs, measures and writes its report (no target
is asserted here; `make bench` is where numbers are read)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kakehashi.cli.sandbox.bench_run import BenchOptions, run_bench, write_report
from kakehashi.cli.sandbox.load import Mix
from tests.e2e.broker import delete_queues

pytestmark = pytest.mark.e2e


async def test_a_tiny_bench_reports_every_measure(tmp_path: Path, sandbox_amqp_url: str) -> None:
    await delete_queues(sandbox_amqp_url)
    options = BenchOptions(
        users=2,
        rate=4,
        duration=1.5,
        settle=5,
        mix=Mix(create=1, update=0, delete=0),
        state_dir=tmp_path / "state",
        report=tmp_path / "bench-report.json",
        amqp_url=sandbox_amqp_url,
    )
    report = await run_bench(options)
    text = write_report(report, options.report)
    saved = json.loads(options.report.read_text())
    assert saved["changes"]["offered"] == report["changes"]["offered"] >= 5
    assert saved["changes"]["accepted"] + saved["changes"]["errors"] == saved["changes"]["offered"]
    for key in ("latency_ms", "throughput", "api_calls", "processes", "verify", "lost"):
        assert key in saved
    assert set(saved["latency_ms"]) == {"p50", "p95", "p99", "max", "mean"}
    [process] = saved["processes"].values()
    assert process["cpu_seconds"] is not None
    assert process["peak_rss_mb"] > 0
    assert "latency p50 / p95 / p99" in text
