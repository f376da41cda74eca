"""In a real browser: deploy a registered model, fill in the Predict form, see a prediction."""

import pytest
from playwright.sync_api import expect

from tests.conftest import delete_deployments

SPARK_WORK_MS = 180_000


@pytest.fixture
def registered(app_home, spark, bank_small, mlflow_template):
    """A small forest registered in the browser app's workspace (no deployments yet)."""
    from opml_core.config import load_settings
    from opml_core.data import prepare_tables
    from opml_core.train import TrainSpec, train_and_log
    from tests.conftest import TINY_FOREST, bank_spec

    settings = load_settings(home=app_home, spark_master="local[2]")
    prepare_tables(spark, settings.workspace, bank_small,
                   bank_spec(training_table="browser_train", operations_table="browser_ops"))
    train_and_log(spark, settings, TrainSpec("browser_train", params=TINY_FOREST))
    yield settings
    delete_deployments(settings)


def test_deploy_then_predict_in_chromium(app_url, page, registered):
    page.goto(f"{app_url}/deploy")
    expect(page.get_by_role("heading", name="Deploy", exact=True)).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Deploy", exact=True).click()
    expect(page.get_by_text("is running at http://127.0.0.1:")).to_be_visible(timeout=SPARK_WORK_MS)

    page.goto(f"{app_url}/predict")
    expect(page.get_by_text("Prefilled from a random row of browser_ops")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Predict", exact=True).click()
    expect(page.get_by_text("predicted:").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Why did the model say that?")).to_be_visible()  # the waterfall
    expect(page.get_by_text("How each input moved the answer")).to_be_visible()
    page.get_by_text("Request and response").click()
    expect(page.get_by_text('"probability"').first).to_be_visible(timeout=10_000)
