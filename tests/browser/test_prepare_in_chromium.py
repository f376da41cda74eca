"""In a real browser: open the app, go to Prepare, load the bundled data and create tables."""

from playwright.sync_api import expect

SPARK_WORK_MS = 180_000


def test_a_newcomer_prepares_the_bundled_data_in_chromium(app_url, page):
    page.goto(app_url)
    expect(page.get_by_text("from data to a monitored endpoint")).to_be_visible(timeout=30_000)
    page.get_by_role("link", name="Prepare data").first.click()
    expect(page.get_by_role("heading", name="Prepare data")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Load data").click()
    create = page.get_by_role("button", name="Create the tables")
    expect(create).to_be_visible(timeout=SPARK_WORK_MS)
    expect(page.get_by_text("Left out by default")).to_be_visible()  # duration, with its reason
    expect(page.get_by_text("Treat 999 in pdays as 'not applicable'")).to_be_visible()
    create.click()
    expect(page.get_by_text("Created bank_train and bank_ops")).to_be_visible(timeout=SPARK_WORK_MS)
