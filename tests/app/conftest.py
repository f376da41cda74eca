"""AppTest helpers: the app from its entry point, with a generous timeout for Spark work."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

TIMEOUT = 240


def open_page(page: str | None = None) -> AppTest:
    """Run the app, optionally switch to ``app_pages/<page>.py``, and return the AppTest."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    if page:
        at.switch_page(f"app_pages/{page}.py").run()
    return at


def texts(elements) -> str:
    """All messages of an element list joined, for `in` checks."""
    return "\n".join(str(e.value) for e in elements)


@pytest.fixture
def load_bundled_page(spark, settings):
    """The Prepare page with the bundled data loaded."""
    at = open_page("prepare")
    at.button(key="prepare.load").click().run()
    assert not at.exception
    return at
