"""Microsoft Graph and identity platform simulator (HTTPS, in-process or standalone)."""

from .app import create_app
from .server import GraphSimServer
from .sim import GraphSimulator

__all__ = ["GraphSimServer", "GraphSimulator", "create_app"]
