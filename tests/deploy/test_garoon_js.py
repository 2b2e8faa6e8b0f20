"""The Garoon customization file: its Node test suite, plus static checks of the file itself."""

from __future__ import annotations

import re
import shutil
import subprocess

from tests.deploy.facts import DEPLOY, ROOT

SCRIPT = DEPLOY / "garoon" / "kakehashi.js"


def test_node_suite_passes() -> None:
    node = shutil.which("node")
    assert node, (
        "node is not on PATH: the Garoon customization tests need Node 20 "
        "(`node --test deploy/garoon/test/`); install Node 20 and rerun"
    )
    result = subprocess.run(
        [node, "--test", "deploy/garoon/test/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert re.search(r"^# fail 0$", result.stdout, re.MULTILINE), result.stdout[-2000:]
    assert not re.search(r"^# pass 0$", result.stdout, re.MULTILINE), "no test ran"


def _code_without_comments() -> str:
    text = SCRIPT.read_text("utf-8")
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)
    return re.sub(r"^\s*//.*$", "", text, flags=re.MULTILINE)


def test_is_a_plain_iife_without_imports() -> None:
    code = _code_without_comments().strip()
    assert code.startswith("(function")
    assert "'use strict'" in code
    assert not re.search(r"^\s*(import|export)\s", code, re.MULTILINE), "no modules: no build step"
    assert "require(" not in code


def test_no_syntax_newer_than_es2017() -> None:
    code = _code_without_comments()
    for token in ("?.", "??", "||=", "&&=", "**=", "#private"):
        assert token not in code, f"{token} is newer than ES2017"
    assert not re.search(r"\bcatch\s*\{", code), "optional catch binding is ES2019"


def test_carries_no_secret() -> None:
    code = _code_without_comments()
    assert not re.search(r"['\"]X-Kakehashi-(Secret|Tenant)['\"]", code, re.IGNORECASE), (
        "the proxy setting adds these headers; the file must not"
    )
    assert "garoon.base.proxy.send" in SCRIPT.read_text("utf-8") or ".proxy.send(" in code
