"""Fitted decoder and detector weights, shipped as `data/params.json` and refitted by `scripts/fit_params.py`."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

# Features of a candidate original for one spun word type (see restore._features); the order is the contract
# between the decoder and the fitted weight vector.
CANDIDATE_FEATURES = (
    "lm_sum",  # summed log-probability gain over all occurrences (nats, clipped)
    "lm_mean",  # mean gain per occurrence
    "lm_min",  # the worst occurrence: one context that rejects the original counts against it
    "ctx_mean",  # mean gain beyond what word frequency alone predicts (natural text averages about zero)
    "ctx_sum",  # the same summed over occurrences: pooled evidence that does not grow with frequency bias
    "wordnet",
    "mythes",
    "moby",
    "embed",
    "builtin",
    "learned",
    "learned_logp",
    "rank",
    "similarity",
    "zipf",
    "zipf_gain",
    "len_diff",
    "n_sources",
    "oov",
    # Wider context (unspin.vectors): cosine of the original's word vector with the SIF-weighted mean vector of
    # the words around an occurrence, minus the spun form's, times 4; 0 when either has no vector.
    "topic_win",  # +-TOPIC_WINDOW tokens around each occurrence, averaged over occurrences
    "topic_doc",  # the whole segment but the type's own occurrences
    "bias",
)
KEEP_FEATURES = ("zipf", "log_occurrences", "spun_oov")
# Columns added for types with an option from a table learned from aligned pairs (`learn_pairs`); their
# weights follow those of CANDIDATE_FEATURES in aligned_w and those of KEEP_FEATURES in aligned_keep_w.
ALIGNED_KEEP_FEATURES = (
    # log share of the spun form's sightings where it stood for itself, (kept + 1/2) / (seen + 1); 0 if never seen
    "log_stay",
    "log1p_seen",  # log(1 + sightings of the spun form in the pairs)
    # The form on the original side: log (kept + 1/2) / (kept + rewritten + 1) when the pairs show it rewritten, else 0.
    # A spinner that rewrote "take" 58 times and never left it as it was did not write the "take" it is read in.
    "log_cover",
)
ALIGNED_FEATURES = (
    "log1p_count",  # log(1 + times the rewrite was seen)
    "inflected",  # 1 for a rewrite guessed from another inflection of the same lemmas (the form was not seen)
    # The option on the original side: log (times rewritten to this spun form + 1/2) / (times rewritten + 1) when
    # the pairs show it rewritten, else 0: an original the spinner always rewrites to something else is not this one.
    "log_chan",
)
DETECT_FEATURES = ("mean_p", "share_p50", "share_p80", "gain_per_word", "log_words", "type_mean_p", "content_logp",
                   "bias")


def read_json(resource: str, path: str | os.PathLike[str] | None) -> dict[str, Any] | None:
    """The JSON object in `path`, or in the shipped data file `resource` when no path is given (None if absent)."""
    if path is None:
        ref = resources.files("unspin") / "data" / resource
        if not ref.is_file():
            return None
        raw = ref.read_text(encoding="utf-8")
    else:
        raw = Path(path).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(raw)
    return data


@dataclass
class Params:
    """Weights of the type-level conditional logit, its decision threshold, and the document detector."""

    cand_w: list[float] = field(
        default_factory=lambda: [0.6, 0.2, 0.3, 0.0, 0.0, 0.5, 0.5, 0.3, 0.2, 1.0, 3.0, 1.0, 0.5, 1.0, 0.3, 1.0,
                                 -0.5, 0.2, -2.0, 0.0, 0.0, -6.0]
    )
    keep_w: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    threshold: float = 0.3  # minimum margin p(best original) - p(kept as is) for a change
    # Types with an entry from a learned channel table get their own weights: how far to trust a table
    # is a different question from how far to trust a thesaurus. Empty: use cand_w/keep_w/threshold.
    learned_w: list[float] = field(default_factory=list)
    learned_keep_w: list[float] = field(default_factory=list)
    learned_threshold: float = 0.3
    # Types with an option from a table learned from aligned pairs: CANDIDATE_FEATURES + ALIGNED_FEATURES,
    # and KEEP_FEATURES + ALIGNED_KEEP_FEATURES. Empty: decide them like any learned type.
    aligned_w: list[float] = field(default_factory=list)
    aligned_keep_w: list[float] = field(default_factory=list)
    aligned_threshold: float = 0.3
    # The margin for types with no learned entry when learned tables are in use (the spinner's dictionary
    # is known, so thesaurus-only rewrites need more evidence than zero-shot).
    tabled_threshold: float = 0.0
    # The margin for the types with no learned entry when an aligned table that counted the words its pairs left
    # alone is in use: its `SpinnerDictionary` has already set aside the originals the spinner does not have.
    # None: as tabled_threshold.
    unseen_threshold: float | None = None
    # How much of the log odds ratio of its lemma's coverage (SpinnerDictionary.log_odds) moves such an option.
    unseen_lemma_weight: float = 0.5
    detect_w: list[float] = field(default_factory=lambda: [20.0, 10.0, 10.0, 1.0, 0.0, 0.0, 0.0, -4.0])
    # Restore changes nothing in a document whose spin score is below this: a clean document's rare words
    # ("blubber", "salinity") read like a spinner's synonyms, one at a time. 0 turns the gate off.
    restore_min_score: float = 0.0
    # The gate with a table learned from pairs or a phrase list (`learn`), which is applied to any text: its own
    # entries raise clean documents' scores, so it is matched on clean text decoded with such tables. None: as above.
    tabled_min_score: float | None = None
    # The gate with a table `learn` read off document pairs: such a table decides its own types at a lower margin
    # (aligned_threshold), which is paid for in clean text by a higher gate. None: tabled_min_score.
    aligned_min_score: float | None = None
    # The gate with a table `adapt` estimated from spun text alone ("pairs"): its entries are guesses, and a clean
    # document that happens to use their forms scores higher with them. None: restore_min_score.
    adapted_min_score: float | None = None
    # Adapt and `batch --pool` count a document as spun at this score when they judge whether a corpus is a
    # spinner's (MIN_SPUN_SHARE): it flags as many clean fitting documents as 0.5 did before the detector's 0.5
    # line was drawn on clean Wikipedia, so that judgement keeps its old footing.
    corpus_spun_score: float = 0.5
    max_candidates: int = 40
    detect_max_candidates: int = 12
    fitted_on: str = "hand-set starting point (not fitted)"

    @classmethod
    def load(cls, path: str | Path | None = None) -> Params:
        data = read_json("params.json", path)
        if data is None:
            return cls()
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        p = cls(**known)
        shapes = (len(p.cand_w), len(p.keep_w), len(p.detect_w))
        learned_ok = not p.learned_w or (len(p.learned_w), len(p.learned_keep_w)) == (
            len(CANDIDATE_FEATURES), len(KEEP_FEATURES))
        aligned_ok = not p.aligned_w or (len(p.aligned_w), len(p.aligned_keep_w)) == (
            len(CANDIDATE_FEATURES) + len(ALIGNED_FEATURES), len(KEEP_FEATURES) + len(ALIGNED_KEEP_FEATURES))
        if not aligned_ok:  # an older feature set: aligned-table types fall back to the learned weights
            p.aligned_w, p.aligned_keep_w = [], []
        if shapes != (len(CANDIDATE_FEATURES), len(KEEP_FEATURES), len(DETECT_FEATURES)) or not learned_ok:
            return cls()  # weights of another feature set: the defaults are safer than a misaligned vector
        return p

    def save(self, path: str | Path) -> None:
        data = asdict(self)
        data["candidate_features"] = list(CANDIDATE_FEATURES)
        data["keep_features"] = list(KEEP_FEATURES)
        data["aligned_features"] = list(ALIGNED_FEATURES)
        data["aligned_keep_features"] = list(ALIGNED_KEEP_FEATURES)
        data["detect_features"] = list(DETECT_FEATURES)
        Path(path).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
