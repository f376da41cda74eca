"""opml: the table of contents. Each page is one step of the loop."""

import streamlit as st

st.set_page_config(page_title="opml", page_icon=":material/rocket_launch:", layout="wide")
pages = {
    "": [st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True)],
    "Build": [st.Page("app_pages/prepare.py", title="Prepare data", icon=":material/table_chart:"),
              st.Page("app_pages/train.py", title="Train", icon=":material/model_training:")],
    "Run": [st.Page("app_pages/deploy.py", title="Deploy", icon=":material/cloud_upload:"),
            st.Page("app_pages/predict.py", title="Predict", icon=":material/online_prediction:")],
    "Watch": [st.Page("app_pages/monitor.py", title="Monitor", icon=":material/monitoring:")],
    "Admin": [st.Page("app_pages/settings.py", title="Settings", icon=":material/settings:")],
}
st.navigation(pages).run()
