"""One way to show problems: the message in plain words, technical details folded away.

``reporting()`` wraps a user action; an ``OpmlError`` raised inside becomes an error box whose
text says what to do next, with the underlying cause in an expander. Anything else is a bug and
propagates (tests see it; the app shows Streamlit's traceback).
"""

from __future__ import annotations

from contextlib import contextmanager

import streamlit as st

from opml_core.errors import OpmlError


def show_error(exc: OpmlError) -> None:
    st.error(str(exc), icon=":material/warning:")
    cause = exc.__cause__
    details = [d for d in (exc.details, cause and f"{type(cause).__name__}: {cause}") if d]
    if details:
        with st.expander("Technical details"):
            st.code("\n\n".join(details), language="text")


@contextmanager
def reporting():
    """Show an OpmlError raised in the block as a message; the page carries on."""
    try:
        yield
    except OpmlError as exc:
        show_error(exc)
