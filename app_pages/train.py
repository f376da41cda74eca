"""Train: fit a Spark ML pipeline on a prepared table, see how good it is, manage versions."""

import streamlit as st

from opml_core.train import train_and_log
from opml_core.ui import resources, state, train_form
from opml_core.ui.feedback import reporting
from opml_core.ui.progress import resume, run_with_progress

st.title("Train a model")
st.caption("Preprocessing (category encoding, imputation) is part of the model, so production "
           "inputs get exactly the treatment training rows got.")
settings = resources.settings()

train_tab, versions_tab, submit_tab = st.tabs(["Train", "Versions", "Submit a model"])
with train_tab:
    spec = train_form.training_inputs(settings)
    clicked = spec is not None and st.button("Train and register", key="train.go", type="primary")
    with reporting():
        if clicked:
            spark = resources.spark()
            result = run_with_progress("Training", train_and_log, spark, settings, spec, spark=spark,
                                       key=("train", str(settings.home), repr(spec)))
        else:  # training started before a reload, or in another tab, is shown, not lost
            result = resume("train", str(settings.home))
        if result is not None:
            state.put(state.TRAIN_RUN, (result.run_id, result.model_name, result.version))
            st.success(f"Registered **{result.model_name}** version {result.version} "
                       f"(fit {result.timings['fit_s']:.1f} s).", icon=":material/check_circle:")
    if state.get(state.TRAIN_RUN):
        train_form.results(settings, *state.get(state.TRAIN_RUN))
with versions_tab:
    train_form.versions_section(settings)
with submit_tab:
    train_form.submit_section(settings)
