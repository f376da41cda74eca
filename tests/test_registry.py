"""The registry: versions compared side by side, aliases that name champion and challenger."""

import shutil

import pytest

from opml_core.errors import TrainingError
from opml_core.registry import list_models, list_versions, remove_alias, set_alias
from opml_core.submission import submit_model_zip
from tests.conftest import make_settings
from tests.test_submission import pyfunc_zip


@pytest.fixture(scope="module")
def two_versions_store(tmp_path_factory, mlflow_template):
    """An MLflow store holding two submitted versions, made once for the module (each
    submission is tried in a sandboxed process)."""
    home = tmp_path_factory.mktemp("two-versions")
    made = make_settings(home / "workspace", mlflow_template)
    data = pyfunc_zip(home)
    for _ in range(2):
        submit_model_zip(made, data, "doubler.zip")
    return made.workspace.mlflow_db


@pytest.fixture
def two_versions(settings, two_versions_store):
    """A fresh workspace whose registry holds the two versions (aliases change only the store)."""
    shutil.copy(two_versions_store, settings.workspace.mlflow_db)
    return settings


def test_versions_are_listed_newest_first_with_their_origin(two_versions):
    versions = list_versions(two_versions)
    assert [v.version for v in versions] == ["2", "1"]
    assert all(v.origin == "submitted" for v in versions)
    assert list_models(two_versions) == ["opml-model"]


def test_an_alias_points_at_one_version_and_moves(two_versions):
    set_alias(two_versions, "opml-model", "1", "champion")
    set_alias(two_versions, "opml-model", "2", "challenger")
    assert {v.version: v.aliases for v in list_versions(two_versions)} == {
        "2": ["challenger"], "1": ["champion"]}
    set_alias(two_versions, "opml-model", "2", "champion")
    assert {v.version: v.aliases for v in list_versions(two_versions)} == {
        "2": ["challenger", "champion"], "1": []}


@pytest.mark.parametrize("alias", ["Champion", "latest", "v2", "two words", ""])
def test_reserved_or_malformed_aliases_are_refused(two_versions, alias):
    with pytest.raises(TrainingError, match="cannot be an alias"):
        set_alias(two_versions, "opml-model", "1", alias)


def test_an_alias_for_a_missing_version_is_refused(two_versions):
    with pytest.raises(TrainingError, match="has no version 9"):
        set_alias(two_versions, "opml-model", "9", "champion")


def test_removing_an_alias_frees_it(two_versions):
    set_alias(two_versions, "opml-model", "1", "champion")
    remove_alias(two_versions, "opml-model", "champion")
    assert all(v.aliases == [] for v in list_versions(two_versions))
    with pytest.raises(TrainingError, match="no alias 'champion'"):
        remove_alias(two_versions, "opml-model", "champion")


def test_an_empty_registry_lists_nothing(settings):
    assert list_models(settings) == [] and list_versions(settings) == []
