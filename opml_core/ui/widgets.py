"""Small display pieces shared by several pages."""

from __future__ import annotations

import streamlit as st

from opml_core.datasets import BundledDataset
from opml_core.ui.access_view import page_link


def citation(dataset: BundledDataset) -> None:
    """The bundled dataset's citation and licence, as the licence asks."""
    st.caption(f"Data: {dataset.title}. Please cite: {dataset.citation} "
               f"Licence: {dataset.licence}. Source: {dataset.source_url}")


def metric_row(values: dict[str, str], help_texts: dict[str, str] | None = None,
               notes: dict[str, str] | None = None) -> None:
    """A row of st.metric boxes; ``notes`` go under a value in grey (e.g. a baseline)."""
    help_texts, notes = help_texts or {}, notes or {}
    for column, (label, value) in zip(st.columns(len(values)), values.items()):
        column.metric(label, value, help=help_texts.get(label), delta=notes.get(label),
                      delta_color="off", delta_arrow="off")


def empty_state(message: str, page: str | None = None, link_label: str | None = None) -> None:
    """A friendly 'nothing here yet' box with a link to the page that fills it."""
    st.info(message, icon=":material/info:")
    if page:
        page_link(page, link_label or "Go there")


def plot(figure, key: str | None = None) -> None:
    st.plotly_chart(figure, width="stretch", key=key)
