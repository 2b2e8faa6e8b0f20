"""JSON Schemas of every message, committed under libs/contracts/schemas/ and checked in tests."""

from __future__ import annotations

import json
from pathlib import Path

from kakehashi.contracts.messages import ALL_MESSAGES

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def render_all() -> dict[str, str]:
    """File name -> pretty JSON Schema text, for every message kind."""
    out: dict[str, str] = {}
    for model in ALL_MESSAGES:
        schema = model.model_json_schema()
        schema["x-kind"] = model.KIND
        out[f"{model.__name__}.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return out


def write_all(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_all().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for p in write_all():
        print(p)
