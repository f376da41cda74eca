"""opml core: data preparation, training, registry, serving and monitoring, without Streamlit.

Pages and the command line call into these modules; nothing here imports Streamlit except the
``opml_core.ui`` package, which pages use for shared widgets and caching.
"""

__version__ = "0.1.0"
