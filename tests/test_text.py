from unspin.text import lm_form, match_case, match_case_phrase, names, sentences, tokenize


def test_tokens_point_into_the_input():
    text = "The White Home’s 3.5% rise (said O'Neill)…  ok"
    for t in tokenize(text):
        assert text[t.start : t.end] == t.text
    assert [t.text for t in tokenize("don't stop")] == ["don't", "stop"]


def test_lm_form_folds_case_digits_and_quotes():
    assert lm_form("Home") == "home"
    assert lm_form("1999") == "0000"
    assert lm_form("don’t") == "don't"


def test_sentences_split_after_terminal_punctuation():
    toks = tokenize("One two. Three four! Five")
    assert [[t.text for t in toks[a:b]] for a, b in sentences(toks)] == [
        ["One", "two", "."], ["Three", "four", "!"], ["Five"]]


def test_case_follows_the_spun_span():
    assert match_case("house", "Home") == "House"
    assert match_case("house", "HOME") == "HOUSE"
    assert match_case_phrase("middle east", "Center East") == "Middle East"
    assert match_case_phrase("use", "Make use of") == "Use"
    assert match_case_phrase("in order to", "so as to") == "in order to"
    assert match_case_phrase("computer", "PC") == "computer"  # an acronym's expansion is not shouted
    assert match_case_phrase("white house", "WHITE") == "WHITE HOUSE"


def test_names_are_acronyms_and_capitalised_words_inside_sentences():
    text = 'The BBC said. "Eternal Sunshine" won, said Mr Smith.\nBroadcasting is big: Big news.'
    toks = tokenize(text)
    assert [t.text for t, n in zip(toks, names(text, toks), strict=True) if n] == ["BBC", "Sunshine", "Mr", "Smith"]
