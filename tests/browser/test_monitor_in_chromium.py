"""In a real browser: the Monitor page shows status cards for a deployment's collected usage."""

import pytest
from playwright.sync_api import expect


@pytest.fixture
def monitored(app_home, spark, bank_small):
    """Usage for 'browser-watched' written and collected in the browser app's workspace."""
    from opml_core.config import load_settings
    from opml_core.data import prepare_tables
    from opml_core.registry import list_versions
    from opml_core.train import TrainSpec, train_and_log
    from opml_core.usage import collect_usage
    from tests.conftest import TINY_FOREST, bank_spec
    from tests.monitor.conftest import days_of, table_rows, write_usage

    settings = load_settings(home=app_home, spark_master="local[2]")
    prepare_tables(spark, settings.workspace, bank_small,
                   bank_spec(training_table="watch_train", operations_table="watch_ops", replace=True))
    if not list_versions(settings):  # the deploy test may have registered one already
        train_and_log(spark, settings, TrainSpec("watch_train", params=TINY_FOREST))
    write_usage(settings, "browser-watched", days_of(table_rows(settings, "watch_ops")[:200], 2))
    collect_usage(spark, settings)
    return settings


def test_the_monitor_page_shows_status_cards_in_chromium(app_url, page, monitored):
    page.goto(f"{app_url}/monitor")
    expect(page.get_by_text("Deployment", exact=True).first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Usage —").first).to_be_visible(timeout=180_000)
    expect(page.get_by_text("Drift —").first).to_be_visible(timeout=30_000)
    page.get_by_role("tab", name="Drift", exact=True).click()
    expect(page.get_by_text("Heatmap of")).to_be_visible(timeout=30_000)
