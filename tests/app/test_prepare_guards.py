"""Prepare's guard rails on the page: leaky and useless columns start left out, codes are offered."""

from opml_core.data import read_card
from tests.app.conftest import open_page, texts
from tests.fixtures.loans import loans_csv


def loans_loaded():
    """The Prepare page with the unseen loans upload loaded and its target chosen."""
    at = open_page("prepare")
    at.radio(key="prepare.kind").set_value("upload").run()
    at.file_uploader(key="prepare.upload").upload("loans.csv", loans_csv()).run()
    at.button(key="prepare.load").click().run()
    at.selectbox(key="prepare.target").set_value("approved").run()
    return at


def test_an_unseen_upload_starts_without_its_leaky_id_and_constant_columns(spark, settings):
    at = loans_loaded()
    assert not at.exception and not at.error
    chosen = at.multiselect(key="prepare.features").value
    for column in ("approved_amount", "call_duration", "applicant_id", "country"):
        assert column not in chosen
    assert {"age", "income", "region", "months_since_default", "open_loans"} <= set(chosen)
    shown = texts(at.markdown)
    assert "**approved_amount**: on its own it tells the outcomes apart almost perfectly" in shown
    assert "**months_since_default** = -1 in" in shown
    assert at.checkbox(key="prepare.sentinel.months_since_default").value is True

    at.button(key="prepare.create").click().run()
    card = read_card(settings.workspace, "loans_train")
    assert card.sentinels == {"months_since_default": -1.0}
    assert set(card.left_out) >= {"approved_amount", "call_duration", "applicant_id", "country"}


def test_a_leaky_column_added_back_says_so_and_a_code_can_be_kept_as_a_number(spark, settings):
    at = loans_loaded()
    features = at.multiselect(key="prepare.features")
    features.set_value([*features.value, "approved_amount"]).run()
    assert "**approved_amount**: on its own" in texts(at.markdown)
    assert "you added it back" in texts(at.markdown)
    at.checkbox(key="prepare.sentinel.months_since_default").uncheck().run()
    at.button(key="prepare.create").click().run()
    card = read_card(settings.workspace, "loans_train")
    assert "approved_amount" in card.features and card.sentinels == {}


def test_the_bundled_data_offers_pdays_999_as_not_applicable(load_bundled_page):
    at = load_bundled_page
    assert "**pdays** = 999 in" in texts(at.markdown)
    assert "**duration**: The call's duration is only known after the call" in texts(at.markdown)
    assert at.checkbox(key="prepare.sentinel.pdays").value is True


def test_the_load_report_says_when_a_number_column_holds_words(spark, settings):
    lines = ["age,job,y"] + [f"{20 + n},admin.,{'yes' if n % 2 else 'no'}" for n in range(12)]
    lines[4] = "n/a,admin.,no"
    at = open_page("prepare")
    at.radio(key="prepare.kind").set_value("upload").run()
    at.file_uploader(key="prepare.upload").upload("mixed.csv", ("\n".join(lines) + "\n").encode()).run()
    at.button(key="prepare.load").click().run()
    assert not at.exception
    assert "'age' holds numbers, but 1 row(s) hold text instead, e.g. 'n/a' in row 4" in texts(at.warning)
