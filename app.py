"""opml: the table of contents. Each page is one step of the loop."""

import streamlit as st

st.set_page_config(page_title="opml", page_icon=":material/rocket_launch:", layout="wide")
pages = {
    "": [st.Page("pages/home.py", title="Home", icon=":material/home:", default=True)],
    "Build": [st.Page("pages/prepare.py", title="Prepare data", icon=":material/table_chart:"),
              st.Page("pages/train.py", title="Train", icon=":material/model_training:")],
    "Run": [st.Page("pages/deploy.py", title="Deploy", icon=":material/cloud_upload:"),
            st.Page("pages/predict.py", title="Predict", icon=":material/online_prediction:")],
    "Watch": [st.Page("pages/monitor.py", title="Monitor", icon=":material/monitoring:")],
}
st.navigation(pages).run()
