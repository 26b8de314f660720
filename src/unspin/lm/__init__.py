"""Language models over LM forms: the embedded KenLM n-gram model and a builder for new ones.

The shipped default (`NgramLM.default()`) is a pruned 4-gram modified Kneser-Ney model estimated
from English Wikipedia; it contains statistics derived from English Wikipedia, by Wikipedia
contributors, CC BY-SA 3.0 (see unspin/data/SOURCES.md).
"""

from __future__ import annotations

from .build import build_lm
from .ngram import LanguageModel, NgramLM

__all__ = ["LanguageModel", "NgramLM", "build_lm"]
