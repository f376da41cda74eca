"""One way to show problems: the message in plain words, technical details folded away.

``reporting()`` wraps a user action; an ``OpmlError`` raised inside becomes an error box whose
text says what to do next, with the underlying cause in an expander. Anything else is a bug and
propagates (tests see it; the app shows Streamlit's traceback).

``section(name)`` wraps one part of a page that must fail alone (a tab, a card, a download):
an ``OpmlError`` shows as ``reporting()`` shows it, and any other exception is logged with its
traceback and shown in that part's place as a plain message, the traceback folded away, so the
parts drawn after it still appear.
"""

from __future__ import annotations

import logging
import traceback
from contextlib import contextmanager

import streamlit as st

from opml_core.errors import OpmlError

_LOG = logging.getLogger(__name__)


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


@contextmanager
def section(name: str):
    """Draw one part of a page; whatever goes wrong in it is said there and the page carries on.

    Streamlit's own control flow (``st.stop``, ``st.rerun``) derives from BaseException and
    passes through untouched.
    """
    try:
        yield
    except OpmlError as exc:
        show_error(exc)
    except Exception:  # noqa: BLE001 - one section must never take the page with it
        _LOG.exception("The %s section of the page failed", name)
        st.error(f"{name} could not be shown this time; the rest of the page is unaffected. "
                 "Reload the page or choose another window; if it keeps happening, the details "
                 "below help a bug report.", icon=":material/error:")
        with st.expander("Technical details"):
            st.code(traceback.format_exc(), language="text")
