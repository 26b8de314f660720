"""Coded error messages, raised as built-in exception types (as spaCy does)."""

from __future__ import annotations


class UnspinError(ValueError):
    """Bad input or unusable data: the CLI reports it in one line and exits 2."""


class E:
    EMPTY = "E001: input is empty or whitespace only"
    NOT_UTF8 = "E002: input is not valid UTF-8 ({detail})"
    NUL = "E003: input contains NUL bytes; is it a binary file?"
    NOT_FOUND = "E004: cannot read {path}: {detail}"
    BAD_CHANNEL = "E005: channel table {path} is not usable: {detail}"
    BAD_LM = "E006: language model {path} is not usable: {detail}"
    BAD_LEXICON = "E007: lexicon {path} is not usable: {detail}"
    BAD_VECTORS = "E073: word vectors {path} are not usable: {detail}"
    BAD_PAIRS = "E008: cannot read pairs from {path}: {detail}"
    TOO_LARGE = "E012: input is {size:.1f} MB, over the {limit:g} MB limit (raise it with --max-mb, or split the text)"
    MISSING_EXTRA = "E009: {feature} needs the optional dependencies: pip install 'unspin[{extra}]'"
    # The HTTP service (unspin serve) answers these with a status code and {"error", "code"}.
    BODY_TOO_LARGE = "E020: request body is over the {limit:g} MB limit (start the service with a larger --max-body-mb)"
    BAD_MEDIA = "E021: send application/json ({{\"text\": ...}}) or text/plain, not {media}"
    BAD_BODY = "E022: bad request body: {detail}"
    BUSY = "E023: the service is busy ({n} requests in progress); retry after {retry} s"
    TIMEOUT = "E024: the request took longer than the {limit:g} s limit (start the service with a larger --timeout)"
    NO_TRACE_INDEX = "E025: trace needs a source index: start the service with --index DIR"
    WORKER_DIED = "E026: the worker process died while handling the request ({detail})"
    NO_TRACE = "E027: trace is not available in this installation ({detail})"
    CANNOT_LISTEN = "E028: cannot listen on {host}:{port} ({detail})"
    # trace (issue 5): codes E050-E059
    NO_INDEX = "E050: no trace index at {path} ({detail}); make one with `unspin index build CORPUS.jsonl DIR`"
    FOREIGN_INDEX = "E051: {path} is not an unspin trace index ({detail})"
    OLD_INDEX = ("E052: trace index {path} has format version {found}, this unspin reads version {expected}: "
                 "rebuild it with `unspin index build`")
    BAD_INDEX = "E053: trace index {path} is corrupted or unreadable ({detail})"
    INDEX_EXISTS = "E054: {path} already holds a trace index; add documents with `unspin index add`"
    QUERY_TOO_SHORT = "E055: the text is too short to trace ({words} words; at least {need} are needed)"
    NOT_ENGLISH = "E056: the text does not look like English ({detail}); trace compares English text"
    BAD_TOP = "E057: --top must be at least 1, not {top}"
    # pipeline (issue 7): codes E070-E079
    BAD_FILE = "E070: {path} could not be read to its end (stopped after {rows} records): {detail}"
    STALE_PARTS = "E071: {parts} holds an interrupted run with other input or options; rerun that command, or delete it"
    BAD_OPTION = "E072: {detail}"
    # adapt (issue 6): codes E060-E069
    BAD_CORPUS = "E060: cannot read documents from {path}: {detail}"
