"""An n-gram language model queried through KenLM, memory-mapped and loaded on first use."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..errors import E, UnspinError

if TYPE_CHECKING:
    import kenlm

logger = logging.getLogger("unspin")

DEFAULT_RESOURCE = "lm.bin"


class LanguageModel(Protocol):
    """What the decoder needs from a language model over LM forms (see `unspin.text.lm_form`)."""

    @property
    def order(self) -> int: ...

    def score(self, words: Sequence[str], bos: bool = True, eos: bool = True) -> float: ...

    def contains(self, word: str) -> bool: ...


class NgramLM:
    """A KenLM model (binary or ARPA) over LM forms; log10 probabilities."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise UnspinError(E.BAD_LM.format(path=self.path, detail="no such file"))
        self._model: kenlm.Model | None = None

    @classmethod
    def default(cls) -> NgramLM:
        """The shipped model built from English Wikipedia (see unspin/data/SOURCES.md)."""
        res = resources.files("unspin") / "data" / DEFAULT_RESOURCE
        # KenLM memory-maps a real file, so the package must be installed unzipped (pip does that).
        if not isinstance(res, Path):
            raise UnspinError(E.BAD_LM.format(path=res, detail="the package data is not a plain file"))
        return cls(res)

    @property
    def model(self) -> kenlm.Model:
        """The underlying `kenlm.Model`, for callers that keep their own `kenlm.State`s."""
        if self._model is None:
            self._model = self._load()
        return self._model

    @property
    def order(self) -> int:
        return int(self.model.order)

    def score(self, words: Sequence[str], bos: bool = True, eos: bool = True) -> float:
        """Log10 probability of the sentence `words` (LM forms), with optional sentence boundaries."""
        return float(self.model.score(" ".join(words), bos=bos, eos=eos))

    def contains(self, word: str) -> bool:
        return word in self.model

    def __repr__(self) -> str:
        return f"NgramLM({str(self.path)!r})"

    def _load(self) -> kenlm.Model:
        import kenlm

        config = kenlm.Config()
        # LAZY maps the file and pages it in on demand: start-up stays well under a second.
        config.load_method = kenlm.LoadMethod.LAZY
        config.show_progress = False  # KenLM would draw a progress bar on stderr for ARPA files
        t0 = time.perf_counter()
        try:
            model = kenlm.Model(str(self.path), config)
        except Exception as err:  # kenlm raises OSError for bad files, RuntimeError for others
            detail = " ".join(str(err).split())[:300] or type(err).__name__
            raise UnspinError(E.BAD_LM.format(path=self.path, detail=detail)) from err
        logger.debug("loaded %s (order %d) in %.3f s", self.path, model.order, time.perf_counter() - t0)
        return model
