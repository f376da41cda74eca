"""opml: the table of contents. Each page is one step of the loop."""

import streamlit as st

from opml_core.access import acting_as
from opml_core.ui import resources
from opml_core.ui.access_view import pages_for, signed_in

st.set_page_config(page_title="opml", page_icon=":material/rocket_launch:", layout="wide")
actor = signed_in(resources.settings())  # None unless the app is shared with a team
pages = pages_for({
    "": [("app_pages/home.py", "Home", ":material/home:")],
    "Build": [("app_pages/prepare.py", "Prepare data", ":material/table_chart:"),
              ("app_pages/train.py", "Train", ":material/model_training:")],
    "Run": [("app_pages/deploy.py", "Deploy", ":material/cloud_upload:"),
            ("app_pages/predict.py", "Predict", ":material/online_prediction:")],
    "Watch": [("app_pages/monitor.py", "Monitor", ":material/monitoring:")],
    "Admin": [("app_pages/settings.py", "Settings", ":material/settings:")],
}, actor)
with acting_as(actor):
    st.navigation(pages).run()
