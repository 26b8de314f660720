"""The HTTP service and web page (`unspin serve`); needs the `serve` extra: pip install 'unspin[serve]'."""

from __future__ import annotations

from typing import Any


def create_app(*args: Any, **kwargs: Any) -> Any:
    """The FastAPI application; see `unspin.service.app.create_app`."""
    from .app import create_app as _create_app

    return _create_app(*args, **kwargs)


__all__ = ["create_app"]
