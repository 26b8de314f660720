"""Result types of cleaning: the main text, removed spans with reasons, kept spans and offset mapping."""

from __future__ import annotations

import bisect
from array import array
from dataclasses import dataclass, field
from typing import Any

# Plain-text results join kept input slices with this; HTML results join extracted lines with "\n".
TEXT_JOINER = "\n\n"
HTML_JOINER = "\n"
HTML_REASON = "html-boilerplate"


@dataclass(frozen=True, slots=True)
class Removed:
    """One removed input span [start, end) and the reason code it was removed for."""

    start: int
    end: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "reason": self.reason}


@dataclass(frozen=True)
class CleanResult:
    """Main text, the removed input spans with reasons, and the kept input spans.

    For plain text, ``text == TEXT_JOINER.join(input[s:e] for s, e in kept)``: kept spans are whole
    lines, so text inside a kept span is byte-identical to the input. For HTML, ``text`` is the
    visible text of the kept blocks (entities decoded, whitespace collapsed) joined by "\\n", and
    ``kept`` holds the input span each block came from. ``removed`` and ``kept`` together cover the
    input without overlap. ``to_input_offset`` maps any offset in ``text`` back to the input.
    """

    text: str
    removed: list[Removed]
    kept: list[tuple[int, int]]
    # Input start and end offset of every text character plus one for len(text) (HTML only; entities
    # make a character's source longer than one); None means "derive from kept".
    char_map: array[int] | None = field(default=None, repr=False, compare=False)
    char_end_map: array[int] | None = field(default=None, repr=False, compare=False)
    _starts: list[int] = field(default_factory=list, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.char_map is None:
            starts, pos = [], 0
            for s, e in self.kept:
                starts.append(pos)
                pos += e - s + len(TEXT_JOINER)
            object.__setattr__(self, "_starts", starts)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "removed": [r.to_dict() for r in self.removed]}

    def to_input_offset(self, i: int) -> int:
        """Map offset ``i`` in ``text`` (0..len(text)) to an offset in the input."""
        if not 0 <= i <= len(self.text):
            raise IndexError(f"offset {i} outside text of length {len(self.text)}")
        if self.char_map is not None:
            return self.char_map[i]
        if not self.kept:
            return 0
        k = bisect.bisect_right(self._starts, i) - 1
        s, e = self.kept[k]
        # Offsets inside the joiner map to the end of the slice before it.
        return min(s + i - self._starts[k], e)

    def to_input_span(self, start: int, end: int) -> tuple[int, int]:
        """Map the span [start, end) of ``text`` to the input span its characters came from."""
        a = self.to_input_offset(start)
        self.to_input_offset(end)  # range check
        if end <= start:
            return a, a
        if self.char_end_map is not None:
            return a, max(a, self.char_end_map[end - 1])
        return a, self.to_input_offset(end - 1) + 1
