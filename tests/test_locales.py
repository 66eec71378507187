"""The rules of titles in any language (goldsieve.locales): which title a reader reads
(``localized``), and finding a thing by its id or by any of its titles (``TitleIndex``), as the
imports of deals, customers and contacts do."""
from __future__ import annotations

import pytest

from goldsieve.locales import TitleIndex, Words, folded, localized

QUOTE = {"en": "Quote", "zh-Hans": "报价"}


@pytest.mark.parametrize("title, locale, read", [
    (QUOTE, "zh-Hant", "报价"),  # only zh-Hans declared: the Chinese, not the English
    (QUOTE, "zh_Hant", "报价"),  # a catalog's name works as its tag does
    ({"en": "Quote", "zh-CN": "报价", "zh-TW": "報價"}, "zh-Hant", "報價"),  # the same script first
    ({"en": "Quote", "zh-TW": "報價", "zh-CN": "报价"}, "zh-Hans", "报价"),
    ({"en": "Quote", "zh-Hant": "報價"}, "zh-Hans", "報價"),  # and the other script before English
    ({"en": "Quote", "zh-Hant": "報價"}, "zh-Hant", "報價"),
    (QUOTE, "en", "Quote"),
    ({"zh-Hans": "报价"}, "en", "报价"),  # no English: any title rather than none
    ({"fr": "Devis", "en": "Quote"}, "zh-Hant", "Quote"),
    ("Quote", "zh-Hant", "Quote"), (None, "en", ""),
])
def test_a_reader_reads_the_nearest_title(title, locale, read):
    assert localized(title, locale) == read


def test_a_refusals_words_name_a_stage_by_the_readers_title():
    words = Words("The deal is already in “%(stage)s”.", stage=QUOTE)
    assert words.say("en") == "The deal is already in “Quote”."
    assert "报价" in words.say("zh_Hant")  # the zh-Hans title, for want of a zh-Hant one


FIELDS = [("email", {"en": "E-mail", "zh-Hans": "邮箱", "zh-Hant": "郵箱"}),
          ("phone", {"en": "Phone", "zh-Hans": "电话", "zh-Hant": "電話"}),
          ("mobile", {"en": "Mobile", "zh-Hans": "电话"}),  # shares 电话 with phone
          ("credit_code", "Credit code"), ("note", None)]


@pytest.mark.parametrize("name, found", [
    ("email", "email"), ("EMAIL", "email"), ("E-mail", "email"), ("e-MAIL", "email"),
    ("邮箱", "email"), ("郵箱", "email"),  # zh-Hans and zh-Hant titles alike
    ("Ｅ－ｍａｉｌ", "email"),  # full-width forms, as a Chinese spreadsheet may type them (NFKC)
    ("  Credit   code ", "credit_code"), ("credit\u3000code", "credit_code"),  # white space, an ideographic one too
    ("credit_code", "credit_code"), ("note", "note"),
    ("電話", "phone"), ("Mobile", "mobile"),
    ("电话", None),  # two fields have it: it names neither
    ("creditcode", None), ("mail", None), ("", None),
])
def test_a_thing_is_found_by_its_id_or_any_title(name, found):
    assert TitleIndex(FIELDS).find(name) == found


def test_an_id_names_its_own_thing_whatever_another_title_says():
    index = TitleIndex([("amount", "Value"), ("value", "Amount")])
    assert index.find("amount") == "amount" and index.find("Value") == "value"


def test_the_fold_is_one_rule():
    assert folded(" Ｅ－ＭＡＩＬ\t Address ") == "e-mail address"
    assert folded("Straße") == "strasse"
