"""LIX, the Swedish readability measure, against values worked out by hand.

LIX = words / sentences + 100 * long words / words, where a long word has more than six letters.
Each test writes its count out, so a reader can check the arithmetic without running anything.
"""

import pytest

from backbone.readability import LixCounts, lix, lix_counts


def test_short_words_in_two_sentences():
    # Kalle(5) går(3) till(4) skolan(6) | Han(3) läser(5) en(2) bok(3)
    # 8 words / 2 sentences + 100 * 0 long / 8 = 4.0
    assert lix("Kalle går till skolan. Han läser en bok.") == pytest.approx(4.0)


def test_long_words_weigh_in_as_a_percentage():
    # Kommunfullmäktige(17) sammanträder(12) på(2) torsdag(7): three have more than six letters
    # 4 / 1 + 100 * 3 / 4 = 4 + 75 = 79.0
    assert lix("Kommunfullmäktige sammanträder på torsdag.") == pytest.approx(79.0)


def test_a_word_of_exactly_six_letters_is_not_long_and_seven_is():
    # skolan(6) is short, skolans(7) is long
    # 1 / 1 + 0 = 1.0 and 1 / 1 + 100 * 1 / 1 = 101.0
    assert lix("skolan.") == pytest.approx(1.0)
    assert lix("skolans.") == pytest.approx(101.0)


def test_swedish_letters_are_letters():
    # Det(3) är(2) möjligt(7: m-ö-j-l-i-g-t): if ö were not a letter, möjligt would be two short words
    # 3 / 1 + 100 * 1 / 3 = 3 + 33.33... = 36.33...
    assert lix("Det är möjligt.") == pytest.approx(3 + 100 / 3)
    # Ångström(8: Å-n-g-s-t-r-ö-m) is long; Öl(2) is not
    # 2 / 1 + 100 * 1 / 2 = 52.0
    assert lix("Öl Ångström.") == pytest.approx(52.0)


def test_question_exclamation_and_colon_end_sentences():
    # Vill du vara med | Ja | Skriv till oss | vi svarar: 10 words, 4 sentences (? ! : .), none long
    # 10 / 4 + 0 = 2.5
    assert lix("Vill du vara med? Ja! Skriv till oss: vi svarar.") == pytest.approx(2.5)


def test_several_marks_in_a_row_end_one_sentence():
    # Vad(3) | Vänta(5) lite(4): "?!" and "..." each end one sentence
    # 3 / 2 + 0 = 1.5
    assert lix("Vad?! Vänta lite...") == pytest.approx(1.5)


def test_text_without_a_closing_mark_is_one_sentence():
    # Hej på dig: 3 / 1 + 0 = 3.0
    assert lix("Hej på dig") == pytest.approx(3.0)


def test_a_paragraph_break_ends_a_heading_without_a_full_stop():
    # "Så söker du" (heading) | "Fyll i blanketten" (blanketten has 10 letters)
    # 6 / 2 + 100 * 1 / 6 = 3 + 16.66... = 19.66...
    assert lix("Så söker du\n\nFyll i blanketten.") == pytest.approx(3 + 100 / 6)


def test_a_single_line_break_does_not_end_a_sentence():
    # One sentence broken over two lines: Vi ses på mötet(5) i morgon = 6 words, 1 sentence
    # 6 / 1 + 0 = 6.0
    assert lix("Vi ses på mötet\ni morgon.") == pytest.approx(6.0)


def test_abbreviations_do_not_end_sentences_and_are_one_word():
    # Ta med t.ex. en penna | Kom i tid: t.ex. is one word (3 letters), its dots end nothing
    # 8 words / 2 sentences + 0 = 4.0 (splitting at the dots would give 3 sentences and 9 words)
    assert lix("Ta med t.ex. en penna. Kom i tid.") == pytest.approx(4.0)
    # bl.a. and kl. inside one sentence: Vi(2) tar bl.a.(3) upp tiden kl.(2) tio = 7 words, 1 sentence
    # 7 / 1 + 0 = 7.0
    assert lix("Vi tar bl.a. upp tiden kl. tio.") == pytest.approx(7.0)


def test_an_abbreviation_that_can_close_a_sentence_does_so_before_a_capital():
    # Vi(2) säljer(6) kaffe(5) te(2) osv.(3) | Välkommen(9, long)
    # 6 words / 2 sentences + 100 * 1 / 6 = 3 + 16.66... = 19.66...
    assert lix("Vi säljer kaffe, te osv. Välkommen!") == pytest.approx(3 + 100 / 6)


def test_t_ex_before_a_name_does_not_close_the_sentence():
    # Fråga t.ex. Anna eller Bo: 5 words, 1 sentence, none long: 5.0
    assert lix("Fråga t.ex. Anna eller Bo.") == pytest.approx(5.0)


def test_numbers_are_words_but_never_long():
    # Mötet(5) börjar(6) kl.(2) 13.30 den(3) 12 maj(3) 2026: 8 words, 1 sentence;
    # 13.30 is one word (its dot is not followed by a space) and no number has letters
    # 8 / 1 + 0 = 8.0
    assert lix("Mötet börjar kl. 13.30 den 12 maj 2026.") == pytest.approx(8.0)
    # Ring(4) 0701234567: 2 / 1 + 0 = 2.0 (a ten-digit number is not a long word)
    assert lix("Ring 0701234567.") == pytest.approx(2.0)


def test_addresses_are_one_word_each_and_not_long():
    # Läs mer på <address> | Ring oss: 6 words, 2 sentences (the full stop after the address ends
    # the first), none long: 6 / 2 + 0 = 3.0
    assert lix("Läs mer på https://www.stockholm.se/kontakt. Ring oss.") == pytest.approx(3.0)
    # Skriv till <e-mail> eller www.example.se: 5 words, 1 sentence: 5.0
    assert lix("Skriv till anna.berg@stad.se eller www.example.se.") == pytest.approx(5.0)


def test_hyphens_and_quotes_do_not_make_words():
    # "Skicka"(6) e-post(5: e-p-o-s-t) till barn-(4) och ungdomsförvaltningen(20, long) – tack(4)
    # the dash alone is no word: 7 words, 1 sentence, 1 long
    # 7 / 1 + 100 * 1 / 7 = 7 + 14.28... = 21.28...
    text = "\u201dSkicka\u201d e-post till barn- och ungdomsförvaltningen \u2013 tack."
    assert lix(text) == pytest.approx(7 + 100 / 7)


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "...", "– ? !"])
def test_a_text_without_words_scores_zero(text):
    assert lix(text) == 0.0
    assert lix_counts(text) == LixCounts(words=0, sentences=0, long_words=0)


def test_the_counts_behind_the_score():
    counts = lix_counts("Kommunfullmäktige sammanträder på torsdag. Alla får komma.")
    # Kommunfullmäktige sammanträder på torsdag | Alla(4) får(3) komma(5)
    assert counts == LixCounts(words=7, sentences=2, long_words=3)
    # 7 / 2 + 100 * 3 / 7 = 3.5 + 42.857... = 46.357...
    assert counts.score == pytest.approx(3.5 + 300 / 7)


def test_a_short_domain_name_is_not_taken_for_an_abbreviation():
    # Gå till ab.se | Sen kom hem: 6 words, 2 sentences, none long: 6 / 2 + 0 = 3.0
    assert lix("Gå till ab.se. Sen kom hem.") == pytest.approx(3.0)
