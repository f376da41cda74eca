"""Deployments: one interface (``base.DeploymentTarget``) and targets registered by name.

Importing this package registers the built-in targets; ``get_target("local", settings)`` returns
one, ``all_deployments(settings)`` lists every deployment of every target.
"""

from opml_core.deploy import local  # noqa: F401, I001  (registered first: the default target)
from opml_core.deploy import azureml_local  # noqa: F401, E402  (then the Azure ones)
from opml_core.deploy.base import (FAILED, RUNNING, STARTING, STOPPED, TARGETS, DeploymentInfo,
                                   DeploymentTarget, all_deployments, get_target)

__all__ = ["FAILED", "RUNNING", "STARTING", "STOPPED", "TARGETS", "DeploymentInfo",
           "DeploymentTarget", "all_deployments", "get_target"]
