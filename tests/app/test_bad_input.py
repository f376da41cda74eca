"""Bad input in the browser: the message the user sees, and nothing existing touched."""

import pytest

from opml_core.data import list_tables, read_card
from tests.app.conftest import open_page, texts
from tests.conftest import FIXTURES
from tests.test_submission import pyfunc_zip

UPLOADS = FIXTURES / "uploads"


@pytest.mark.parametrize("fixture,message", [
    ("empty.csv", "empty.csv is empty"),
    ("header_only.csv", "header line but no rows"),
    ("no_header.csv", "looks like data"),
    ("latin1.csv", "not UTF-8 text"),
    ("duplicate_columns.csv", "appears more than once"),
    ("ragged.csv", "Line 3"),
])
def test_a_bad_upload_shows_why_and_stages_nothing(settings, fixture, message):
    at = open_page("prepare")
    at.radio(key="prepare.kind").set_value("upload").run()
    at.file_uploader(key="prepare.upload").upload(fixture, (UPLOADS / fixture).read_bytes()).run()
    assert not at.exception
    assert message in texts(at.error)
    assert at.button(key="prepare.load").disabled
    assert list(settings.workspace.uploads.iterdir()) == []


def test_a_wrong_delimiter_choice_names_the_right_one(settings):
    at = open_page("prepare")
    at.radio(key="prepare.kind").set_value("upload").run()
    at.selectbox(key="prepare.delimiter").set_value("comma (',')")
    at.file_uploader(key="prepare.upload").upload("semicolon.csv",
                                                  (UPLOADS / "semicolon.csv").read_bytes()).run()
    assert "Choose 'semicolon'" in texts(at.error)


def test_an_upload_over_the_configured_limit_is_refused(settings, monkeypatch):
    monkeypatch.setenv("OPML_MAX_UPLOAD_MB", "1")
    at = open_page("prepare")
    at.radio(key="prepare.kind").set_value("upload").run()
    at.file_uploader(key="prepare.upload").upload("big.csv", b"a,b\n" + b"1,2\n" * 600_000).run()
    assert "the limit is 1 MB" in texts(at.error) and "OPML_MAX_UPLOAD_MB" in texts(at.error)


def test_a_good_upload_loads_and_profiles(spark, settings):
    at = open_page("prepare")
    at.radio(key="prepare.kind").set_value("upload").run()
    at.file_uploader(key="prepare.upload").upload("clients.csv",
                                                  (UPLOADS / "clients.csv").read_bytes()).run()
    at.button(key="prepare.load").click().run()
    assert not at.exception and not at.error
    assert {m.label: m.value for m in at.metric}["Rows"] == "200"


def test_replacing_an_existing_table_needs_confirmation(settings, prepared, load_bundled_page):
    at = load_bundled_page
    before = read_card(settings.workspace, "bank_train").created_at
    assert "already exist" in texts(at.warning)
    at.button(key="prepare.create").click().run()
    assert "'bank_train' already exists" in texts(at.error)
    assert read_card(settings.workspace, "bank_train").created_at == before
    at.checkbox(key="prepare.replace").check()
    at.button(key="prepare.create").click().run()
    assert not at.error and read_card(settings.workspace, "bank_train").created_at != before


def test_a_split_leaving_operations_empty_is_refused(load_bundled_page, settings):
    at = load_bundled_page
    at.radio(key="prepare.split").set_value("temporal").run()
    at.selectbox(key="prepare.order").set_value("nr_employed")  # its top value holds 39% of rows
    at.button(key="prepare.create").click().run()
    assert "leaves the operations part empty" in texts(at.error)
    assert list_tables(settings.workspace) == []


def test_training_with_no_features_is_refused(spark, settings, prepared):
    at = open_page("train")
    at.multiselect(key="train.features.bank_train").set_value([])
    at.button(key="train.go").click().run()
    assert "Choose at least one feature" in texts(at.error)
    from opml_core.registry import list_versions

    assert list_versions(settings) == []


@pytest.mark.parametrize("make,message", [
    (lambda tmp: b"not a zip", "is not a zip file"),
    (lambda tmp: pyfunc_zip(tmp, signature=False), "has no signature"),
])
def test_a_bad_model_zip_is_refused_in_the_submit_tab(settings, tmp_path, make, message):
    at = open_page("train")
    at.file_uploader(key="train.submit_file").upload("model.zip", make(tmp_path)).run()
    at.button(key="train.submit").click().run()
    assert message in texts(at.error)


def test_a_good_model_zip_is_registered_from_the_submit_tab(settings, tmp_path):
    at = open_page("train")
    at.file_uploader(key="train.submit_file").upload("doubler.zip", pyfunc_zip(tmp_path)).run()
    at.button(key="train.submit").click().run()
    assert "Registered doubler.zip as opml-model version 1" in texts(at.success)


def test_a_model_with_no_versions_left_gets_an_empty_state_on_deploy_and_predict(settings):
    from opml_core.tracking import connect

    connect(settings).create_registered_model("empty-model")
    deploy = open_page("deploy")
    assert not deploy.exception
    deploy.selectbox(key="deploy.model").select("empty-model").run()
    assert not deploy.exception and "has no versions left" in texts(deploy.info)
    predict = open_page("predict")
    predict.toggle(key="predict.local").set_value(True).run()
    predict.selectbox(key="predict.model").select("empty-model").run()
    assert not predict.exception and "has no versions left" in texts(predict.info)


def test_predict_in_the_app_refuses_a_model_that_runs_its_own_code_and_offers_to_deploy(
        settings, tmp_path):
    from opml_core.registry import register_model_dir
    from tests.test_submission import pyfunc_dir

    register_model_dir(settings, pyfunc_dir(tmp_path), "doubler", "doubler.zip")
    predict = open_page("predict")
    predict.toggle(key="predict.local").set_value(True).run()
    assert not predict.exception and not predict.error
    assert "doubler version 1 runs its own code" in texts(predict.info)
    assert "only through its endpoint" in texts(predict.info)
