"""The review web desk (FastAPI, server-rendered); :func:`create_app` builds it."""

from flows.web.app import create_app
from flows.web.security import LOOPBACK, allowed_hosts, safe_url

__all__ = ["LOOPBACK", "allowed_hosts", "create_app", "safe_url"]
