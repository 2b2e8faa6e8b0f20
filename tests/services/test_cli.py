"""The `kakehashi` command line: subcommands are discovered, missing pieces explain themselves."""

from __future__ import annotations

import sys

import pytest

from kakehashi.cli.main import main
from kakehashi.cli.services import PACKAGES, UP, load


def test_help_lists_the_subcommands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("service", "up", "sim"):
        assert command in out


def test_unknown_service_is_refused(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["service", "nope"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize("which", ["graph", "garoon"])
def test_sim_without_the_simulator_says_so(which, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, f"kakehashi.{which}_sim.standalone", None)
    assert main(["sim", which, "--port", "0"]) == 2
    assert "simulator not available" in capsys.readouterr().err


def test_sim_passes_host_port_and_state_dir(monkeypatch, tmp_path):
    calls = []

    class Fake:
        @staticmethod
        def serve(*args):
            calls.append(args)

    monkeypatch.setitem(sys.modules, "kakehashi.graph_sim.standalone", Fake)
    assert (
        main(["sim", "graph", "--host", "0.0.0.0", "--port", "1234", "--state-dir", str(tmp_path)])
        == 0
    )
    assert calls == [("0.0.0.0", 1234, tmp_path)]


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_every_service_package_exports_its_service(name):
    service = load(name)
    assert service.name == name
    assert name in UP


def test_bad_setting_names_the_variable_not_a_traceback(monkeypatch, capsys):
    monkeypatch.setenv("KAKEHASHI_HTTP_PORT", "eighty")
    with pytest.raises(SystemExit) as exc:
        main(["service", "ingress"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "KAKEHASHI_HTTP_PORT" in err
    assert "Traceback" not in err
