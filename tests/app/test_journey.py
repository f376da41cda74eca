"""A newcomer's first journey: prepare the bundled data, train a forest, see it registered."""

from opml_core.data import list_tables
from tests.app.conftest import texts


def test_prepare_temporal_split_then_train_and_register(load_bundled_page, settings):
    at = load_bundled_page
    assert at.selectbox(key="prepare.target").value == "y"
    assert "duration" not in at.multiselect(key="prepare.features").value
    at.radio(key="prepare.split").set_value("temporal")
    at.button(key="prepare.create").click().run()
    assert not at.exception
    assert "Created **bank_train** and **bank_ops**" in texts(at.success)
    assert {t.name for t in list_tables(settings.workspace)} == {"bank_train", "bank_ops"}

    at.switch_page("app_pages/train.py").run()
    at.number_input(key="train.knob.random_forest.numTrees").set_value(10)
    at.number_input(key="train.knob.random_forest.maxDepth").set_value(5)
    at.button(key="train.go").click().run()
    assert not at.exception
    assert "Registered **opml-model** version 1" in texts(at.success)
    metrics = {m.label: float(m.value) for m in at.metric}
    assert 0.5 < metrics["ROC AUC"] <= 1.0
    assert len(at.get("plotly_chart")) >= 4, "ROC, PR, confusion and importance charts are drawn"
    from opml_core.registry import list_versions

    assert [v.version for v in list_versions(settings)] == ["1"]
