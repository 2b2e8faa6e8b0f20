"""Runtime tests see no KAKEHASHI_* settings and no mounted secrets from the machine."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("KAKEHASHI_"):
            monkeypatch.delenv(name)
    # An empty secrets dir, so a real /run/secrets/kakehashi on this machine cannot leak in.
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("KAKEHASHI_SECRETS_DIR", str(tmp_path / "empty"))
