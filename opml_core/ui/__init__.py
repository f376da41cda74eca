"""The Streamlit side of opml: the only package besides ``app_pages/`` that imports streamlit.

``state`` declares the session-state keys, ``resources`` caches settings, Spark and loaded
data, ``feedback`` shows errors the one way, ``progress`` runs long work with live progress,
and ``widgets`` holds the pieces several pages share.
"""
