import pytest

from unspin.bench.spinners import PROFILE_SOURCE, PROFILES, apply_subs, make_spinner
from unspin.lexicon.sources import SOURCE_FILES

TEXT = (
    "The White House said on Monday that the Supreme Court will use the new rules in order to cut costs. "
    "Officials in the Middle East said the plan would help the economy, and the government said it "
    "expects prices to rise. The company said the market was very strong, and the company will use "
    "the money to build new houses for children.\n\n"
    "Shares rose 3% after the firm said its profits were higher than expected. Analysts said the shooting "
    "of the film had been delayed, but the studio will release it next year."
)
THESAURI = [p for p in ("wordnet", "mythes", "moby") if SOURCE_FILES[p].exists()]
OFFLINE = ["contentfarm", *THESAURI]


def test_profiles_listed():
    assert set(PROFILES) >= {"wordnet", "mythes", "moby", "distributional", "contentfarm"}
    assert set(PROFILE_SOURCE) == set(PROFILES)


@pytest.mark.parametrize("profile", OFFLINE)
def test_round_trip(profile):
    doc = make_spinner(profile, 0.5, seed=3).spin(TEXT)
    assert doc.original == TEXT
    assert doc.subs
    assert apply_subs(doc.original, doc.subs) == doc.spun
    for s in doc.subs:
        assert doc.spun[s.spun_start : s.spun_end] == s.spun
        assert doc.original[s.orig_start : s.orig_end] == s.original
        assert s.spun != s.original


def test_contentfarm_examples():
    doc = make_spinner("contentfarm", 1.0).spin(TEXT)
    assert "White Home" in doc.spun and "Supreme Courtroom" in doc.spun and "Center East" in doc.spun
    assert "make use of" in doc.spun and "for the purpose of" in doc.spun
    assert "3%" in doc.spun


@pytest.mark.parametrize("profile", OFFLINE)
def test_fixed_dictionary(profile):
    doc = make_spinner(profile, 0.5, seed=7).spin(TEXT + "\n\n" + TEXT)
    seen: dict[str, str] = {}
    for s in doc.subs:
        assert seen.setdefault(s.original.lower(), s.spun.lower()) == s.spun.lower()
    # The same seed spins the same way in another document.
    again = make_spinner(profile, 0.5, seed=7).spin(TEXT)
    assert again.spun == doc.spun[: len(again.spun)]


@pytest.mark.parametrize("profile", OFFLINE)
def test_seed_changes_dictionary(profile):
    a = make_spinner(profile, 0.3, seed=1).spin(TEXT).spun
    b = make_spinner(profile, 0.3, seed=2).spin(TEXT).spun
    assert a != b


@pytest.mark.parametrize("profile", THESAURI)
def test_per_occurrence_varies(profile):
    text = " ".join(["The house was big and the house was old."] * 40)
    fixed = make_spinner(profile, 1.0, seed=5).spin(text)
    assert len({s.spun for s in fixed.subs if s.original == "house"}) == 1
    fresh = make_spinner(profile, 1.0, seed=5, per_occurrence=True).spin(text)
    assert len({s.spun for s in fresh.subs if s.original == "house"}) > 1


def test_rate_is_dictionary_coverage():
    from unspin.bench.spinners import contentfarm_table

    keys = [src for src, _ in contentfarm_table()]
    for rate in (0.1, 0.35, 0.5):
        sp = make_spinner("contentfarm", rate, seed=4)
        assert abs(sum(sp.covered(k) for k in keys) / len(keys) - rate) < 0.07


@pytest.mark.skipif(not THESAURI, reason="no Debian thesaurus installed")
def test_thesaurus_rate_approximate():
    words = (
        "market price house trade deal film court plan study report game team state point level city".split()
    )
    text = " ".join(f"The {w} was {a}." for w in words for a in ("good", "new", "large", "small"))
    profile = THESAURI[0]
    full = {s.original.lower() for s in make_spinner(profile, 1.0).spin(text).subs}
    share = [
        len({s.original.lower() for s in make_spinner(profile, 0.35, seed=k).spin(text).subs}) / len(full)
        for k in range(8)
    ]
    assert 0.2 < sum(share) / len(share) < 0.5


@pytest.mark.parametrize("profile", THESAURI)
def test_names_and_numbers_survive(profile):
    doc = make_spinner(profile, 1.0).spin(
        "Yesterday Alan Greenspan met 12 members of the Federal Reserve in London."
    )
    for kept in ("Alan Greenspan", "12", "Federal Reserve", "London"):
        assert kept in doc.spun


def test_moby_ignores_inflection():
    if "moby" not in THESAURI:
        pytest.skip("Aiksaurus data not installed")
    doc = make_spinner("moby", 1.0, seed=2).spin("They were shooting and running while houses burned.")
    assert doc.subs


def test_contentfarm_differs_from_builtin_table():
    from unspin.bench.spinners import contentfarm_table

    try:
        from unspin.lexicon.builtin import iter_builtin
    except ImportError:
        pytest.skip("the lexicon has no builtin table")
    builtin = {(o, s) for o, s, *_ in iter_builtin()}
    rows = contentfarm_table()
    shared = [r for r in rows if r in builtin]
    assert len(rows) >= 300
    assert len(shared) / len(rows) < 0.10, shared


def test_distributional_when_cached():
    from unspin.bench import spinners

    if not (spinners._cache_dir() / f"neighbours-{spinners._NEIGHBOURS_VERSION}.tsv").exists():
        pytest.skip("distributional neighbours not trained here yet (unspin bench trains them once)")
    doc = make_spinner("distributional", 0.5, seed=1).spin(TEXT)
    assert doc.subs and apply_subs(doc.original, doc.subs) == doc.spun
