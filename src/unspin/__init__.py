"""unspin: find and undo machine article spinning in English text."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .clean import CleanResult, clean  # bound here, not on first call: importing the package would rebind the name
from .detect import DetectResult, Span
from .engine import Engine, default_engine
from .errors import UnspinError
from .learn import ChannelTable, learn_pairs
from .restore import Change, RestoreResult

if TYPE_CHECKING:
    from .trace import Index, TraceResult

__all__ = [
    "ChannelTable",
    "Change",
    "CleanResult",
    "DetectResult",
    "Engine",
    "Index",
    "RestoreResult",
    "Span",
    "TraceResult",
    "UnspinError",
    "clean",
    "detect",
    "learn_pairs",
    "restore",
    "trace",
]
__version__ = "0.1.0"

logging.getLogger("unspin").addHandler(logging.NullHandler())


def restore(text: str) -> RestoreResult:
    """Restore the most likely original wording of `text` with the shipped models."""
    return default_engine().restore(text)


def detect(text: str) -> DetectResult:
    """Score how likely `text` was spun and mark the suspicious spans, with the shipped models."""
    return default_engine().detect(text)


def __getattr__(name: str) -> Any:
    if name in ("trace", "Index", "TraceResult"):  # imported on first use: it loads datasketch
        import importlib

        mod = importlib.import_module(".trace", __name__)  # a callable module: unspin.trace(text, index)
        return mod if name == "trace" else getattr(mod, name)
    raise AttributeError(name)
