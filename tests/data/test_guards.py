"""Guard rails: leaky, ID-like and constant columns are left out with a reason; codes are found."""

import pytest

from opml_core.data import (PrepareSpec, SplitSpec, load_staged, prepare_tables, profile_frame, read_card,
                            stage_upload)
from opml_core.data.guards import find_sentinels, review_columns, single_column_auc
from opml_core.errors import DataError
from tests.fixtures.loans import loans_csv


@pytest.fixture(scope="module")
def loans(spark, tmp_path_factory):
    from opml_core.config import Workspace

    workspace = Workspace(tmp_path_factory.mktemp("loans-ws"))
    staged = stage_upload(workspace, "loans.csv", loans_csv(), 50)
    data = load_staged(spark, staged)
    return data, profile_frame(data.df, data.display_names)


@pytest.fixture(scope="module")
def loans_review(loans):
    data, profile = loans
    return review_columns(data.df, profile, "approved", "yes")


def test_a_column_that_gives_the_outcome_away_is_left_out_with_its_auc(loans_review):
    reason = loans_review.left_out["approved_amount"]
    assert "almost perfectly" in reason and "ROC AUC 1.00" in reason
    assert loans_review.single_auc["approved_amount"] == pytest.approx(1.0)


def test_a_column_named_as_known_after_the_outcome_is_left_out(loans_review):
    assert "known only once the event is over" in loans_review.left_out["call_duration"]


def test_id_like_and_constant_columns_are_left_out_with_plain_reasons(loans_review):
    assert "like an ID" in loans_review.left_out["applicant_id"]
    assert "same value (PT)" in loans_review.left_out["country"]


def test_ordinary_columns_stay_in_and_are_not_called_leaky(loans_review):
    for column in ("age", "income", "region", "months_since_default", "open_loans"):
        assert column not in loans_review.left_out
        assert loans_review.single_auc[column] < 0.95


def test_minus_one_for_never_is_found_as_a_not_applicable_code(loans_review):
    code = loans_review.sentinels["months_since_default"]
    assert code.value == -1 and 0.6 < code.share < 0.8
    assert code.rest_min >= 1 and code.rest_max <= 120
    assert "-1 most likely means 'not applicable'" in code.describe("months_since_default")


def test_real_zero_counts_are_not_taken_for_a_code(loans_review):
    assert "open_loans" not in loans_review.sentinels and "age" not in loans_review.sentinels


def test_single_column_auc_equals_scikit_learns_on_a_numeric_column(loans):
    from sklearn.metrics import roc_auc_score

    data, profile = loans
    frame = data.df.select("income", "approved").toPandas()
    expected = roc_auc_score(frame["approved"] == "yes", frame["income"])
    auc = single_column_auc(data.df, [profile.column("income")], "approved", "yes")["income"]
    assert auc == pytest.approx(max(expected, 1 - expected), abs=0.01)  # binned: within a bin's ties


def test_the_bundled_data_flags_pdays_999_and_keeps_durations_own_reason(bank_small):
    profile = profile_frame(bank_small.df, bank_small.display_names)
    review = review_columns(bank_small.df, profile, "y", "yes", bank_small.bundled.excluded_by_default)
    assert review.sentinels["pdays"].value == 999 and review.sentinels["pdays"].share > 0.9
    assert review.left_out["duration"] == bank_small.bundled.excluded_by_default["duration"]
    assert "previous" not in review.sentinels and "campaign" not in review.sentinels


def test_a_code_chosen_on_prepare_is_recorded_on_both_cards(spark, settings, loans, loans_review):
    data, _ = loans
    features = ["age", "income", "region", "months_since_default", "open_loans"]
    spec = PrepareSpec("approved", "yes", features, "loans_train", "loans_ops", SplitSpec("random", 0.2),
                       sentinels={"months_since_default": -1.0}, left_out=loans_review.left_out)
    prepare_tables(spark, settings.workspace, data, spec)
    for table in ("loans_train", "loans_ops"):
        card = read_card(settings.workspace, table)
        assert card.sentinels == {"months_since_default": -1.0}
        assert "approved_amount" in card.left_out and "age" not in card.left_out


@pytest.mark.parametrize("codes, message", [
    ({"region": 1.0}, "'region' is not a numeric column"),
    ({"income": "lots"}, "must be a number"),
    ({"income": float("nan")}, "finite number"),
])
def test_a_bad_code_is_refused_and_nothing_is_written(spark, settings, loans, codes, message):
    data, _ = loans
    spec = PrepareSpec("approved", "yes", ["age", "income", "region"], "loans_train", "loans_ops",
                       sentinels=codes)
    with pytest.raises(DataError, match=message):
        prepare_tables(spark, settings.workspace, data, spec)
    assert read_card(settings.workspace, "loans_train") is None


def test_find_sentinels_with_nothing_to_look_at_finds_nothing(loans):
    data, _ = loans
    assert find_sentinels(data.df, [], 600) == {}
