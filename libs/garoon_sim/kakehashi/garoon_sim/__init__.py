"""Cybozu Garoon REST/SOAP simulator with browser hints.

Built from the API fact sheet (`shared/reference/garoon-api.md`), never from the client's models.
"""

from .errors import GaroonError
from .faults import FaultRule
from .model import Settings
from .server import GaroonSimServer, create_app
from .simulator import GaroonSimulator

__all__ = [
    "FaultRule",
    "GaroonError",
    "GaroonSimServer",
    "GaroonSimulator",
    "Settings",
    "create_app",
]
