"""Deployments: one interface (``base.DeploymentTarget``) and targets registered by name.

Importing this package registers the built-in targets; ``get_target("local", settings)`` returns
one, ``all_deployments(settings)`` lists every deployment of every target.
"""

# The order targets register in is the order the Deploy page offers them: this machine first,
# then the Azure package on this machine, then today's Azure endpoints, then SDK v1's services.
from opml_core.deploy import local  # noqa: F401, I001
from opml_core.deploy import azureml_local  # noqa: F401, I001
from opml_core.deploy import azure_v2  # noqa: F401, I001
from opml_core.deploy import azure_v1  # noqa: F401, I001
from opml_core.deploy.base import (FAILED, RUNNING, STARTING, STOPPED, TARGETS, UNREACHABLE,
                                   DeploymentInfo, DeploymentTarget, all_deployments, get_target)

__all__ = ["FAILED", "RUNNING", "STARTING", "STOPPED", "TARGETS", "UNREACHABLE", "DeploymentInfo",
           "DeploymentTarget", "all_deployments", "get_target"]
