"""Session state, declared once: small values only (ids, names, URIs), never frames or clients."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st


@dataclass(frozen=True)
class SourceRef:
    """Which dataset the Prepare page has loaded: enough to load it again, nothing more."""

    kind: str  # "bundled" | "upload" | "table"
    ref: str  # bundled key, staged file path, or table name
    label: str  # what to call it on screen
    delimiter: str | None = None
    columns: tuple[str, ...] = ()  # readable header of an uploaded file


# Prepare page
PREPARE_SOURCE = "prepare.source"  # SourceRef of the loaded dataset
PREPARE_RESULT = "prepare.result"  # (training table, operations table, summary sentence)
# Train page
TRAIN_RUN = "train.run"  # (run id, model name, version) of the last training in this session

_DEFAULTS = {PREPARE_SOURCE: None, PREPARE_RESULT: None, TRAIN_RUN: None}


def init() -> None:
    """Give every declared key its default once per session."""
    for key, value in _DEFAULTS.items():
        st.session_state.setdefault(key, value)


def get(key: str):
    init()
    return st.session_state[key]


def put(key: str, value) -> None:
    st.session_state[key] = value


def forget_widgets(*prefixes: str) -> None:
    """Drop widget values under some prefixes (e.g. when another dataset is loaded)."""
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefixes)]:
        del st.session_state[key]
