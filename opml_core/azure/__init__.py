"""The one seam to Azure ML: the scoring package, the workspace connection and the SDK clients.

``package`` builds the folder every Azure target ships (entry script, compiled model, pinned
environment, Dockerfile); ``environment`` builds the Python environment that serves it on this
machine; ``client`` is the small interface every call into Azure goes through (tests replace
only it); ``connection`` reads the workspace and credentials from the settings; ``sdk`` is the
real client on azureml-core (v1) and azure-ai-ml (v2).
"""
