"""The Prepare page's sections: pick a source, look at the data, choose target and split.

Each function draws one section and returns the user's choice as a small record, so the page
itself stays a short script: source → profile → choices → create tables.
"""

from __future__ import annotations

import streamlit as st

from opml_core.data import (DataProfile, LoadedData, PrepareSpec, SkewSpec, SplitSpec, preview_rows,
                            stage_upload)
from opml_core.data.card import CATEGORICAL, NUMERIC
from opml_core.data.guards import ColumnReview
from opml_core.data.inspect import DELIMITERS, check_size
from opml_core.data.profile import DATETIME
from opml_core.data.split import OPERATORS
from opml_core.data.tables import list_tables, table_exists
from opml_core.datasets import BANK_MARKETING
from opml_core import charts
from opml_core.ui import resources
from opml_core.ui.feedback import reporting
from opml_core.ui.state import SourceRef
from opml_core.ui.widgets import citation, metric_row, plot

SOURCES = {"bundled": "Bundled Bank Marketing data", "upload": "Upload a CSV or Parquet file",
           "table": "A table in the workspace"}
DELIMITER_CHOICES = {"Auto-detect": None, **{f"{name} ({d!r})": d for d, name in DELIMITERS.items()}}


def source_picker(settings) -> SourceRef | None:
    """Choose a source; return it when the user presses Load (else None)."""
    kind = st.radio("Where is the data?", list(SOURCES), format_func=SOURCES.get,
                    key="prepare.kind", horizontal=True)
    ref = None
    if kind == "bundled":
        st.write(f"**{BANK_MARKETING.question}** {BANK_MARKETING.title}.")
        citation(BANK_MARKETING)
        ref = SourceRef("bundled", BANK_MARKETING.key, "the Bank Marketing data")
    elif kind == "upload":
        ref = _upload(settings)
    else:
        names = [t.name for t in list_tables(settings.workspace)]
        if not names:
            st.info("The workspace has no tables yet: load the bundled data or upload a file.")
        else:
            name = st.selectbox("Table", names, key="prepare.table")
            ref = SourceRef("table", name, f"table {name}")
    if st.button("Load data", key="prepare.load", type="primary", disabled=ref is None):
        return ref
    return None


def _upload(settings) -> SourceRef | None:
    upload = st.file_uploader("CSV or Parquet file", type=["csv", "txt", "tsv", "parquet"],
                              key="prepare.upload",
                              help=f"Up to {settings.max_upload_mb:,} MB (OPML_MAX_UPLOAD_MB).")
    choice = st.selectbox("Delimiter", list(DELIMITER_CHOICES), key="prepare.delimiter")
    if upload is None:
        return None
    with reporting():
        check_size(upload.size, settings.max_upload_mb)
        staged = stage_upload(settings.workspace, upload.name, upload.getvalue(),
                              settings.max_upload_mb, DELIMITER_CHOICES[choice])
        st.caption(f"{upload.name}: {len(staged.layout.columns)} columns"
                   + (f", delimiter {staged.layout.delimiter!r}" if staged.layout.delimiter else ""))
        return SourceRef("upload", str(staged.path), upload.name, staged.layout.delimiter,
                         tuple(staged.layout.columns))
    return None


def profile_section(data: LoadedData, profile: DataProfile) -> None:
    """What loading found (e.g. a number column with words in it), row count, types, missing
    and unknown values, a preview and distributions."""
    for note in data.notes:
        st.warning(note, icon=":material/warning:")
    missing = sum(c.missing for c in profile.columns)
    unknown = sum(c.unknown for c in profile.columns)
    metric_row({"Rows": f"{profile.rows:,}", "Columns": str(len(profile.columns)),
                "Missing cells": f"{missing:,}", "'unknown' values": f"{unknown:,}"},
               {"'unknown' values": "Text cells reading 'unknown': missing values in disguise."})
    st.dataframe(preview_rows(data), hide_index=True, height=250)
    with st.expander("Column by column"):
        st.dataframe([{"column": c.display, "kind": c.kind, "type": c.spark_type,
                       "missing": c.missing, "unknown": c.unknown, "distinct (≈)": c.distinct,
                       "min": c.minimum, "max": c.maximum, "mean": c.mean}
                      for c in profile.columns], hide_index=True)
    names = [c.name for c in profile.columns]
    chosen = st.selectbox("Distribution of", names, format_func=data.display,
                          key="prepare.chart_column")
    plot(charts.distribution(profile.column(chosen)), key="prepare.chart")


def choices_section(data: LoadedData, profile: DataProfile, settings,
                    data_source: SourceRef) -> PrepareSpec | None:
    """Target, positive class, features (guarded), split, skew and table names."""
    usable = [c.name for c in profile.columns if c.kind in (NUMERIC, CATEGORICAL)]
    two_valued = [c.name for c in profile.columns if len(c.levels) == 2] or usable
    default_target = (data.bundled.target if data.bundled else
                      data.card.target if data.card else two_valued[-1])
    target = st.selectbox("Column to predict (target)", usable, format_func=data.display,
                          index=usable.index(default_target) if default_target in usable else 0,
                          key="prepare.target")
    levels = [v for v, _ in profile.column(target).levels]
    plot(charts.target_balance(profile.column(target).levels, None, data.display(target)),
         key="prepare.balance")
    preferred = data.bundled.positive_class if data.bundled else (levels[-1] if levels else None)
    positive = st.selectbox("Positive class (the outcome you want to predict)", levels or ["—"],
                            index=levels.index(preferred) if preferred in levels else 0,
                            key="prepare.positive")
    review = resources.column_review(data_source, target, str(positive))
    features, sentinels = _features(data, usable, target, review)
    split, skew = _split(data, profile)
    st.subheader("4. Name the tables")
    base = data.suggested_name if not data.card else data.suggested_name.removesuffix("_train")
    left, right = st.columns(2)
    training = left.text_input("Training table", f"{base}_train", key="prepare.training_table")
    operations = right.text_input("Operations table", f"{base}_ops", key="prepare.operations_table")
    taken = [n for n in (training, operations) if table_exists(settings.workspace, n)]
    replace = False
    if taken:
        st.warning(f"{' and '.join(taken)} already exist{'s' if len(taken) == 1 else ''}: "
                   "tick the box to replace them, or choose other names.", icon=":material/warning:")
        replace = st.checkbox("Yes, replace the existing tables", key="prepare.replace")
    return PrepareSpec(target, str(positive), features, training, operations, split, skew, replace,
                       sentinels, review.left_out)


def _features(data: LoadedData, usable: list[str], target: str,
              review: ColumnReview) -> tuple[list[str], dict[str, float]]:
    st.subheader("2. Choose the inputs")
    candidates = [c for c in usable if c != target]
    left_out = {c: r for c, r in review.left_out.items() if c in candidates}
    default = data.card.features if data.card else [c for c in candidates if c not in left_out]
    features = st.multiselect("Features the model may use", candidates,
                              default=[c for c in default if c in candidates],
                              format_func=data.display, key="prepare.features")
    if left_out:
        with st.container(border=True):
            st.markdown(":material/shield: **Left out by default** (add them back above if "
                        "you are sure):")
            for column, reason in left_out.items():
                added = " — *you added it back*" if column in features else ""
                st.markdown(f"- **{data.display(column)}**: {reason}{added}")
    sentinels = {}
    codes = {c: s for c, s in review.sentinels.items() if c in features}
    if codes:
        with st.container(border=True):
            st.markdown(":material/rule: **Codes that mean 'not applicable'**")
            for column, sentinel in codes.items():
                st.markdown(sentinel.describe(data.display(column)))
                if st.checkbox(f"Treat {sentinel.value:g} in {data.display(column)} as 'not "
                               "applicable' (recommended)", value=True,
                               key=f"prepare.sentinel.{column}",
                               help="The model gets a yes/no 'not applicable' flag and the "
                                    "number is treated as missing; the endpoint does the same."):
                    sentinels[column] = sentinel.value
    return features, sentinels


def _split(data: LoadedData, profile: DataProfile) -> tuple[SplitSpec, SkewSpec | None]:
    st.subheader("3. Split into training and operations")
    st.caption("The training part teaches the model; the operations part stands in for the inputs "
               "the deployed model will receive later (Predict and Monitor use it).")
    kind = st.radio("How to split", ["temporal", "random"], horizontal=True, key="prepare.split",
                    format_func={"temporal": "Temporal: the last rows are operations",
                                 "random": "Random"}.get)
    share = st.slider("Operations share", 0.05, 0.5, 0.2, 0.05, format="%.2f",
                      key="prepare.share")
    seed, order = 42, None
    if kind == "random":
        seed = int(st.number_input("Random seed", 0, 2**31 - 1, 42, key="prepare.seed"))
    else:
        orderable = [c.name for c in profile.columns if c.kind in (DATETIME, NUMERIC)]
        order = st.selectbox("Order rows by", [None, *orderable], key="prepare.order",
                             format_func=lambda c: "File order" if c is None else data.display(c))
    skew = None
    if st.toggle("Inject skew into the operations part (so drift is surely present)",
                 key="prepare.skew"):
        skew = _skew(data, profile, seed)
    return SplitSpec(kind, share, seed, order), skew


def _skew(data: LoadedData, profile: DataProfile, seed: int) -> SkewSpec:
    columns = [c.name for c in profile.columns if c.kind in (NUMERIC, CATEGORICAL)]
    default = columns.index("age") if "age" in columns else 0
    a, b, c, d = st.columns([3, 1, 2, 2])
    column = a.selectbox("Segment column", columns, index=default, format_func=data.display,
                         key="prepare.skew_column")
    col = profile.column(column)
    if col.kind == NUMERIC:
        operator = b.selectbox("is", OPERATORS, key="prepare.skew_op")
        value = c.number_input("value", value=60.0 if column == "age" else float(col.mean or 0),
                               key="prepare.skew_value")
    else:
        operator = b.selectbox("is", ["==", "!="], key="prepare.skew_op_cat")
        value = c.selectbox("value", [v for v, _ in col.levels] or [""], key="prepare.skew_level")
    factor = d.slider("× as common", 0.25, 10.0, 3.0, 0.25, key="prepare.skew_factor")
    return SkewSpec(column, operator, value, factor)
