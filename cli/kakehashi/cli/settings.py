"""Settings for a CLI command, with a readable message instead of a traceback."""

from __future__ import annotations

import sys

from pydantic import ValidationError

from kakehashi.runtime.settings import Settings, load_settings


def settings_for(service_name: str) -> Settings:
    """Load settings or exit 2 naming the offending KAKEHASHI_* variables."""
    try:
        return load_settings(service_name)
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            print(f"kakehashi: KAKEHASHI_{field.upper()}: {error['msg']}", file=sys.stderr)
    except ValueError as exc:
        print(f"kakehashi: {exc}", file=sys.stderr)
    raise SystemExit(2)
