"""datatrove pipeline steps: a tagger that adds spin scores and spans to metadata, and a filter with reasons."""

from __future__ import annotations

from typing import Any

from ..errors import E, UnspinError

try:
    from datatrove.data import Document, DocumentsPipeline
    from datatrove.pipeline.base import PipelineStep
    from datatrove.pipeline.filters.base_filter import BaseFilter
except ImportError:
    raise ImportError(E.MISSING_EXTRA.format(feature="the datatrove steps", extra="datatrove")) from None

SCORE, VERDICT, SPANS, ERROR = "unspin_score", "unspin_verdict", "unspin_spans", "unspin_error"


class _Detector:
    """A lazily built engine per pipeline process (steps are pickled to datatrove's workers)."""

    def __init__(self, channels: tuple[str, ...], lm: str | None, max_mb: float, clean: bool) -> None:
        self.channels, self.lm, self.max_mb, self.clean = channels, lm, max_mb, clean
        self._engine: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_engine": None}

    def tag(self, doc: Document) -> str | None:
        """Write score, verdict and spans into `doc.metadata`; return an error code when it cannot be scored."""
        from ..engine import Engine, check_size, run_on_clean

        text = doc.text
        if not isinstance(text, str) or not text.strip():
            doc.metadata[ERROR] = "text is empty or not a string"
            return "empty-text"
        try:
            check_size(text, self.max_mb)
            if self._engine is None:
                self._engine = Engine(channels=list(self.channels), lm=self.lm)
            out = (run_on_clean(self._engine, "detect", text) if self.clean
                   else self._engine.detect(text).to_dict())
        except UnspinError as exc:
            doc.metadata[ERROR] = str(exc)
            return "too-large" if str(exc).startswith("E012") else "bad-input"
        doc.metadata[SCORE] = out["spin_score"]
        doc.metadata[VERDICT] = out["verdict"]
        doc.metadata[SPANS] = out["spans"]
        return None


class UnspinTagger(PipelineStep):
    """Adds `unspin_score`, `unspin_verdict` and `unspin_spans` (offsets into doc.text) to each document's metadata."""

    name = "unspin tagger"
    type = "🏷 - TAGGER"

    def __init__(self, channels: tuple[str, ...] = (), lm: str | None = None, max_mb: float = 5.0,
                 clean: bool = False) -> None:
        super().__init__()
        self.detector = _Detector(tuple(channels), lm, max_mb, clean)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data or ():
            self.stat_update("total")
            with self.track_time():
                err = self.detector.tag(doc)
            self.stat_update(f"error_{err}" if err else doc.metadata[VERDICT])
            self.update_doc_stats(doc)
            yield doc


class UnspinFilter(BaseFilter):
    """Drops documents whose spin score is at least `threshold`, with the reason `spun`."""

    name = "unspin filter"

    def __init__(self, threshold: float = 0.5, channels: tuple[str, ...] = (), lm: str | None = None,
                 max_mb: float = 5.0, clean: bool = False, drop_unscored: bool = False,
                 exclusion_writer: Any = None) -> None:
        super().__init__(exclusion_writer)
        self.threshold = threshold
        self.drop_unscored = drop_unscored
        self.detector = _Detector(tuple(channels), lm, max_mb, clean)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        if SCORE not in doc.metadata and ERROR not in doc.metadata:  # not tagged by UnspinTagger upstream
            self.detector.tag(doc)
        if SCORE not in doc.metadata:
            return (False, "unscored") if self.drop_unscored else True
        if doc.metadata[SCORE] >= self.threshold:
            return False, "spun"
        return True
