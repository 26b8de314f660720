import itertools

import pytest

from unspin.lexicon.builtin import iter_builtin
from unspin.lexicon.sources import SOURCE_FILES, iter_pairs


def first_pairs(source: str, n: int = 20000) -> list[tuple[str, str, str]]:
    if not SOURCE_FILES[source].exists():
        pytest.skip(f"{source} thesaurus is not installed")
    return list(itertools.islice(iter_pairs(source), n))


@pytest.mark.parametrize("source", ["wordnet", "mythes", "moby"])
def test_pairs_are_lower_case_lemma_pairs(source: str) -> None:
    pairs = first_pairs(source)
    assert len(pairs) == 20000
    for head, syn, pos in pairs:
        assert head == head.lower() and syn == syn.lower() and head != syn
        assert "_" not in syn and "  " not in syn and syn == syn.strip()
        assert pos in {"n", "v", "a", "r", ""}


def test_known_pairs() -> None:
    for source, head, syn in [
        ("wordnet", "big", "large"),
        ("mythes", "house", "home"),
        ("moby", "use", "employ"),
    ]:
        if not SOURCE_FILES[source].exists():
            pytest.skip(f"{source} thesaurus is not installed")
        assert any(h == head and s == syn for h, s, _ in iter_pairs(source))


def test_unknown_source() -> None:
    with pytest.raises(ValueError):
        iter_pairs("roget")


def test_builtin_table() -> None:
    pairs = list(iter_builtin())
    assert len({o for o, _, _ in pairs}) >= 300
    assert ("in order to", "so as to", "") in pairs and ("use", "make use of", "v") in pairs
    assert all(o != s and o == o.lower() and s == s.lower() for o, s, _ in pairs)
