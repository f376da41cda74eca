"""opml: the table of contents. Each page is one step of the loop."""

import streamlit as st

st.set_page_config(page_title="opml", page_icon="🛠️", layout="wide")
pages = {
    "": [st.Page("pages/home.py", title="Home", icon="🏠", default=True)],
    "Build": [st.Page("pages/prepare.py", title="Prepare data", icon="🧹"),
              st.Page("pages/train.py", title="Train", icon="🏋️")],
}
st.navigation(pages).run()
