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
    BAD_PAIRS = "E008: cannot read pairs from {path}: {detail}"
    TOO_LARGE = "E012: input is {size:.1f} MB, over the {limit:g} MB limit (raise it with --max-mb, or split the text)"
    MISSING_EXTRA = "E009: {feature} needs the optional dependencies: pip install 'unspin[{extra}]'"
    BAD_CORPUS = "E020: cannot read documents from {path}: {detail}"
