"""A library never imports a service or the CLI; a service never imports another service."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {p.name for p in (ROOT / "services").iterdir() if (p / "kakehashi").is_dir()}
LIBS = {p.name for p in (ROOT / "libs").iterdir() if (p / "kakehashi").is_dir()}


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "kakehashi" and len(parts) > 1:
                found.add(parts[1])
    return found


def _violations(folder: Path, own: str, forbidden: set[str]) -> list[str]:
    bad = []
    for path in folder.rglob("*.py"):
        for pkg in _imported_packages(path) & (forbidden - {own}):
            bad.append(f"{path.relative_to(ROOT)} imports kakehashi.{pkg}")
    return bad


def test_libraries_import_no_service_and_no_cli() -> None:
    bad = []
    for lib in LIBS:
        bad += _violations(ROOT / "libs" / lib, lib, SERVICES | {"cli"})
    assert not bad, "\n".join(bad)


def test_services_import_no_other_service() -> None:
    bad = []
    for svc in SERVICES:
        bad += _violations(ROOT / "services" / svc, svc, SERVICES | {"cli"})
    assert not bad, "\n".join(bad)


def test_simulators_share_no_code_with_the_clients() -> None:
    """The simulators are built from the API fact sheets; a shared model would hide a mistake."""
    bad = []
    for sim in ("graph_sim", "garoon_sim"):
        bad += _violations(ROOT / "libs" / sim, sim, {"graph_client", "garoon_client", "engine"})
    for client in ("graph_client", "garoon_client"):
        bad += _violations(ROOT / "libs" / client, client, {"graph_sim", "garoon_sim"})
    assert not bad, "\n".join(bad)


def test_the_mongodb_simulator_shares_no_code_with_the_store() -> None:
    """Services never run on it; the store reaches it only through AsyncMongoClient, as it
    reaches a real server (services and engine must not import it either)."""
    bad = _violations(ROOT / "libs" / "mongo_sim", "mongo_sim", {"store", "engine"})
    for folder in [ROOT / "libs" / "store", *(ROOT / "services" / s for s in SERVICES)]:
        bad += _violations(folder, folder.name, {"mongo_sim"})
    assert not bad, "\n".join(bad)
