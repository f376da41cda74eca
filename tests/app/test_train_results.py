"""Train's results speak honestly: a baseline under every metric, a verdict, a threshold to keep."""

from opml_core.registry import decision_threshold, list_versions
from tests.app.conftest import open_page, texts


def test_results_show_the_baseline_a_verdict_and_keep_a_costed_threshold(spark, settings, prepared):
    at = open_page("train")
    at.number_input(key="train.knob.random_forest.numTrees").set_value(10)
    at.number_input(key="train.knob.random_forest.maxDepth").set_value(5)
    at.toggle(key="train.balance").set_value(True)
    at.button(key="train.go").click().run()
    assert not at.exception and not at.error
    shown = texts(at.markdown)
    assert "Finds about" in shown and "of its 'yes' answers are right" in shown
    accuracy = next(m for m in at.metric if m.label == "Accuracy")
    assert accuracy.proto.delta.startswith("always 'no': 0.")

    run_id = next(v.run_id for v in list_versions(settings))
    stored = decision_threshold(settings, run_id)
    at.number_input(key="train.missed_cost").set_value(20.0).run()
    suggested = float(texts(at.markdown).split("Suggested threshold: **")[1][:4])
    assert suggested <= stored + 0.005  # a costly miss never raises the bar
    at.button(key="train.use_threshold").click().run()
    assert "now says 'yes' from" in texts(at.success)
    assert abs(decision_threshold(settings, run_id) - suggested) < 0.005
