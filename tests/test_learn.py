import json
import shutil
from pathlib import Path

import pytest

from unspin.errors import UnspinError
from unspin.learn import ChannelTable, align, learn_pairs, learn_phrases, read_pairs

TORTURED = Path(__file__).resolve().parents[2] / "shared" / "data" / "tortured" / "pps_learn.tsv"


def test_align_finds_word_and_length_changing_rewrites():
    pairs = align("They make use of the White Home daily.", "They use the White House daily.")
    got = [p for p in pairs if p[0] != p[1]]
    assert ("make use of", "use") in got
    assert ("home", "house") in got


def test_learned_table_generalises_over_inflection_and_round_trips(tmp_path):
    pairs = [("Police were capturing the suspect.", "Police were shooting the suspect."),
             ("The inventory market fell.", "The stock market fell.")]
    table = learn_pairs(pairs)
    assert table.get("capturing")[0].original == "shooting"
    assert table.get("inventory")[0].original == "stock"
    # Seen only as "capturing", learned for every inflection of the lemma.
    assert table.get("captured")[0].original == "shot"
    path = tmp_path / "t.tsv"
    table.save(path)
    again = ChannelTable.load(path)
    assert again.get("capturing")[0].original == "shooting"
    assert len(again) == len(table)


def test_kept_occurrences_lower_an_entry_probability():
    pairs = [("a big home", "a big house"), ("at home now", "at home now"), ("home again", "home again")]
    entry = learn_pairs(pairs).get("home")[0]
    assert entry.original == "house"
    assert 0.2 < entry.prob < 0.5


def test_read_pairs_accepts_jsonl_and_tsv(tmp_path):
    j = tmp_path / "p.jsonl"
    j.write_text(json.dumps({"spun": "a b", "original": "a c"}) + "\n")
    assert read_pairs(j) == ([("a b", "a c")], "documents")
    t = tmp_path / "p.tsv"
    t.write_text("tortured\texpected\ncounterfeit consciousness\tartificial intelligence\n")
    pairs, kind = read_pairs(t)
    assert kind == "phrases"
    assert learn_phrases(pairs).get("counterfeit consciousness")[0].original == "artificial intelligence"


def test_bad_tables_and_pairs_are_clear_errors(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("not a table\n")
    with pytest.raises(UnspinError, match="E005"):
        ChannelTable.load(bad)
    with pytest.raises(UnspinError, match="E008"):
        read_pairs(tmp_path / "missing.jsonl")
    cols = tmp_path / "cols.tsv"
    cols.write_text("a\tb\n1\t2\n")
    with pytest.raises(UnspinError, match="E008"):
        read_pairs(cols)


@pytest.mark.skipif(not TORTURED.exists(), reason="../shared/data/tortured is absent")
def test_learns_the_tortured_phrase_list(tmp_path):
    local = tmp_path / "pps.tsv"
    shutil.copy(TORTURED, local)
    pairs, kind = read_pairs(local)
    table = learn_phrases(pairs)
    assert kind == "phrases" and len(table.entries) > 2000
    assert table.get("profound learning")[0].original == "deep learning"


def test_a_phrase_list_table_keeps_its_kind_and_does_not_reinflect(tmp_path):
    table = learn_phrases([("machine studying", "machine learning"), ("profound learning", "deep learning")])
    assert table.kind == "phrases"
    assert table.get("studying")[0].original == "learning"
    assert not table.get("study")  # a term's gerund is a noun: no verb forms ("study" -> "learn")
    table.save(tmp_path / "t.tsv")
    back = ChannelTable.load(tmp_path / "t.tsv")
    assert back.kind == "phrases" and back.entries == table.entries
    pairs = learn_pairs([("The guy was capturing photos.", "The man was shooting photos.")])
    pairs.save(tmp_path / "p.tsv")
    assert ChannelTable.load(tmp_path / "p.tsv").kind == "aligned"  # counts of rewrites seen in text pairs
    # A table saved without a kind line (adapt's, or one learned before "aligned" existed) is "pairs".
    lines = (tmp_path / "p.tsv").read_text(encoding="utf-8").split("\n")
    (tmp_path / "old.tsv").write_text("\n".join(x for x in lines if not x.startswith("# kind:")), encoding="utf-8")
    assert ChannelTable.load(tmp_path / "old.tsv").kind == "pairs"


def test_aligned_tables_count_sightings_and_mark_inflection_guesses(tmp_path):
    pairs = [("Police were capturing the suspect. Capturing it took hours.",
              "Police were shooting the suspect. Capturing it took hours."),
             ("The broadcasting went out.", "The video went out.")]
    table = learn_pairs(pairs)
    (seen,) = table.get("capturing")
    assert (seen.count, seen.prob, seen.seen) == (1.0, 0.5, 2.0)  # rewritten once, kept once
    guess = table.get("captured")[0]
    assert guess.original == "shot" and guess.count == 0 and guess.seen == 0  # from the lemma, never seen
    # A form the pairs show rewritten keeps its own rewrites only, not guesses from its other inflections.
    assert [e.original for e in table.get("broadcasting")] == ["video"]
    table.save(tmp_path / "t.tsv")
    assert ChannelTable.load(tmp_path / "t.tsv").entries == table.entries


def test_hyphenated_rewrites_are_one_entry():
    table = learn_pairs([("The red-hot phone sold well-known items.", "The new phone sold well-known goods.")])
    assert table.get("red - hot")[0].original == "new"
    assert not table.get("red") and not table.get("hot")


def test_merged_rewrites_stay_within_the_phrase_limit():
    # Merging "certainly make use of" with the next deletion ("brand -" of "brand-new") would pass MAX_PHRASE
    # words and lose both rewrites: each is kept on its own instead.
    got = [p for p in align("It will certainly make use of the brand-new rules.", "It will use the new rules.")
           if p[0] != p[1]]
    assert ("certainly make use of", "use") in got


def test_added_words_are_read_with_the_word_they_were_added_to():
    # A spinner that writes "making up" for "making" or "news reports" for "reports" made one rewrite: as a
    # deletion of its own ("up" -> "") it would teach the decoder to delete "up" wherever it stands.
    got = [p for p in align("They were making up money. The news reports said so.",
                            "They were making money. The reports said so.") if p[0] != p[1]]
    assert got == [("making up", "making"), ("news reports", "reports")]
    # Never across punctuation, and never onto a function word: "tea leaf" <- "tea" before a full stop.
    got = [p for p in align("A supply of tea leaf. The end", "A supply of tea. The end") if p[0] != p[1]]
    assert got == [("tea leaf", "tea")]
    # With no word to attach to, the deletion stands as it was.
    assert [p for p in align("The legal, fair system", "The, fair system") if p[0] != p[1]] == [("legal", "")]


def test_added_words_between_two_words_go_where_the_pairs_show_them():
    # "of rules" could go with "system" or with "opens"; elsewhere it was seen only after "system".
    pairs = [("The system of rules, they said.", "The system, they said."),
             ("A system of rules opens doors.", "A system opens doors.")]
    table = learn_pairs(pairs)
    assert table.get("system of rules")[0].original == "system" and table.get("system of rules")[0].count == 2
    assert not table.get("of rules opens")


def test_aligned_tables_count_names_kept_and_rewritten(tmp_path):
    table = learn_pairs([("The BBC said Mr Smith was lovely. Then the Cost lifted.",
                          "The BBC said Mr Smith was nice. Then the Price lifted.")])
    assert table.names == (3.0, 1.0)  # BBC, Mr, Smith kept; "Cost" a rewrite ("The" and "Then" start sentences)
    table.save(tmp_path / "t.tsv")
    assert ChannelTable.load(tmp_path / "t.tsv").names == (3.0, 1.0)


def test_aligned_tables_count_the_words_their_pairs_leave_alone(tmp_path):
    table = learn_pairs([("The large dog ran quickly, 3 times.", "The large dog ran fast, 3 times.")] * 2)
    assert table.kept == {"the": 2.0, "large": 2.0, "dog": 2.0, "ran": 2.0, "times": 2.0}
    table.save(tmp_path / "t.tsv")
    assert ChannelTable.load(tmp_path / "t.tsv").kept == table.kept
    # A table written before the kept words were counted loads with none.
    (tmp_path / "old.tsv").write_text("# unspin channel table v1\n# kind: aligned\n"
                                      "spun\toriginal\tcount\tprob\tseen\nquickly\tfast\t2\t1.0000\t2\n")
    assert ChannelTable.load(tmp_path / "old.tsv").kept == {}
