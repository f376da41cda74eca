"""Prepare: turn a raw file into a training table and an operations table."""

import streamlit as st

from opml_core.data import prepare_tables
from opml_core.ui import prepare_form, resources, state
from opml_core.ui.access_view import page_link
from opml_core.ui.feedback import reporting
from opml_core.ui.progress import resume, run_with_progress

st.title("Prepare data")
st.caption("Load a dataset, look at it, say what to predict, and split it into the rows that "
           "train the model and the rows that play tomorrow's production inputs.")
settings = resources.settings()

st.subheader("1. Load a dataset")
chosen = prepare_form.source_picker(settings)
if chosen is not None and chosen != state.get(state.PREPARE_SOURCE):
    state.forget_widgets("prepare.target", "prepare.positive", "prepare.features")
    state.put(state.PREPARE_SOURCE, chosen)
    state.put(state.PREPARE_RESULT, None)
source = state.get(state.PREPARE_SOURCE)
if source is None:
    st.info("Choose a source and press **Load data**. The bundled Bank Marketing data is a good "
            "first try.", icon=":material/info:")
    st.stop()

with reporting():
    data = resources.loaded(source)
    profile = resources.profile(source)
    st.markdown(f"**Loaded {source.label}**")
    prepare_form.profile_section(data, profile)
    spec = prepare_form.choices_section(data, profile, settings, source)
    if st.button("Create the tables", key="prepare.create", type="primary"):
        result = run_with_progress("Preparing tables", prepare_tables, resources.spark(),
                                   settings.workspace, data, spec, spark=resources.spark(),
                                   key=("prepare", str(settings.home), repr(spec)))
    else:  # tables being written before a reload, or from another tab
        result = resume("prepare", str(settings.home))
    if result is not None:
        state.put(state.PREPARE_RESULT, (result.training.table, result.operations.table,
                                         result.summary))

done = state.get(state.PREPARE_RESULT)
if done:
    training, operations, summary = done
    st.success(f"Created **{training}** and **{operations}**. {summary}", icon=":material/check_circle:")
    page_link("app_pages/train.py", f"Train a model on {training}")
