"""A deep link as the very first request still opens the page inside the app's navigation."""

from playwright.sync_api import expect

from tests.browser.conftest import running_app


def test_a_first_visit_to_a_deep_link_keeps_the_app_navigation(page, tmp_path):
    with running_app(tmp_path) as url:
        page.goto(f"{url}/train")  # the server's first request
        expect(page.get_by_role("heading", name="Train a model")).to_be_visible(timeout=60_000)
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar.get_by_text("Prepare data")).to_be_visible()
        expect(sidebar.get_by_text("app", exact=True)).to_have_count(0)
