"""The engine is pure: no I/O, no network, no clock except the injected one."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "libs" / "engine" / "kakehashi" / "engine"
FORBIDDEN_MODULES = {
    "asyncio",
    "aiohttp",
    "aio_pika",
    "socket",
    "ssl",
    "http",
    "urllib",
    "requests",
    "pymongo",
    "subprocess",
    "os",
    "io",
    "pathlib",
    "time",
    "random",
    "threading",
    "shutil",
    "msal",
    "kakehashi.bus",
    "kakehashi.store",
}
# Clock reads and I/O by attribute (datetime.now(), date.today(), ...) or by bare name.
CLOCK_ATTRS = {"now", "utcnow", "today", "monotonic", "perf_counter", "urlopen", "getenv"}
BARE_CALLS = {"open", "print", "input", "new_id", "utcnow", "uuid4"}
FORBIDDEN_CALLS = CLOCK_ATTRS | BARE_CALLS


def _modules() -> list[Path]:
    return sorted(ENGINE.rglob("*.py"))


def test_engine_has_modules() -> None:
    names = {p.name for p in _modules()}
    assert {"decide.py", "recurrence.py", "timezones.py", "hashing.py", "merge.py"} <= names


def test_no_io_imports_and_no_clock_calls() -> None:
    bad = []
    for path in _modules():
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                mods = [node.module or ""]
                if node.module == "kakehashi.contracts.envelope":
                    bad += [
                        f"{path.name}: imports {a.name}" for a in node.names if a.name in BARE_CALLS
                    ]
            else:
                mods = []
            for mod in mods:
                top = {mod, mod.split(".")[0], ".".join(mod.split(".")[:2])}
                if isinstance(node, ast.ImportFrom) and mod == "datetime":
                    continue  # the types only; calls to .now()/.today() are caught below
                if top & FORBIDDEN_MODULES:
                    bad.append(f"{path.name}: imports {mod}")
            if isinstance(node, ast.Call):
                fn = node.func
                attr = isinstance(fn, ast.Attribute) and fn.attr in CLOCK_ATTRS
                bare = isinstance(fn, ast.Name) and fn.id in BARE_CALLS
                name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
                if attr or bare:
                    bad.append(f"{path.name}:{node.lineno}: calls {name}()")
    assert not bad, bad


def test_decision_context_reads_only_the_injected_clock() -> None:
    from datetime import UTC, datetime

    from kakehashi.engine.decision import DecisionContext

    calls = []

    def clock() -> datetime:
        calls.append(1)
        return datetime(2030, 1, 1, tzinfo=UTC)

    ctx = DecisionContext(tenant_id="t", clock=clock)
    assert ctx.now.year == 2030
    assert ctx.today.year == 2030
    assert calls
