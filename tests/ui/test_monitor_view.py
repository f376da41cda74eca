"""The Monitor page's status cards: short headlines in a row, the findings full-width beneath."""

from streamlit.testing.v1 import AppTest


def seven_findings():
    """A Drift card naming seven features (the model relies on f0 most), and a Usage card."""
    from types import SimpleNamespace

    from opml_core.monitor.cards import MOVED, NEW_CATEGORIES, CardItem, StatusCard
    from opml_core.ui import monitor_view

    items = tuple(CardItem(MOVED if rank % 2 else NEW_CATEGORIES, f"f{rank}", f"f{rank} moved", rank)
                  for rank in (0, 2, 4, 6, 1, 3, 5))  # grouped as a card holds them
    drift = StatusCard("Drift", "alert", "7 features in alert. New categories: …", items,
                       "7 features in alert, the ones the model relies on most first.")
    monitor_view.cards(SimpleNamespace(cards=[StatusCard("Usage", "ok", "120 requests."), drift],
                                       notes=[]))


def run_cards() -> AppTest:
    return AppTest.from_function(seven_findings, default_timeout=30).run()


def test_each_card_in_the_row_shows_its_headline_only():
    at = run_cards()
    assert not at.exception
    usage, drift = at.columns
    assert [e.value for e in usage.success] == ["**Usage** — 120 requests."]
    assert [e.value for e in drift.error] == [
        "**Drift** — 7 features in alert, the ones the model relies on most first."]
    assert not usage.markdown and not drift.markdown  # the findings are not in the narrow column


def test_the_five_findings_the_model_relies_on_most_are_listed_grouped_each_a_link_to_its_chart():
    at = run_cards()
    beneath = list(at.main.children.values())[1]  # the row of cards comes first
    shown = [m.value for m in beneath.markdown if m.value.startswith(("**New", "**Moved"))]
    assert shown[0] == ("**New categories**\n\n- [f0 moved](#drift-f0)\n- [f2 moved](#drift-f2)\n"
                        "- [f4 moved](#drift-f4)")
    assert shown[1] == "**Moved distributions**\n\n- [f1 moved](#drift-f1)\n- [f3 moved](#drift-f3)"


def test_the_other_findings_wait_in_an_expander_saying_how_many():
    at = run_cards()
    assert [e.label for e in at.expander] == ["2 more"]
    folded = [m.value for m in at.expander[0].markdown]
    assert folded == ["**New categories**\n\n- [f6 moved](#drift-f6)",
                      "**Moved distributions**\n\n- [f5 moved](#drift-f5)"]
