"""Deployments: one interface (``base.DeploymentTarget``) and targets registered by name.

Importing this package registers the built-in targets; ``get_target("local", settings)`` returns
one, ``all_deployments(settings)`` lists every deployment of every target.
"""

from opml_core.deploy import local  # noqa: F401  (registers the local target)
from opml_core.deploy.base import (FAILED, RUNNING, STARTING, STOPPED, TARGETS, DeploymentInfo,
                                   DeploymentTarget, all_deployments, get_target)

__all__ = ["FAILED", "RUNNING", "STARTING", "STOPPED", "TARGETS", "DeploymentInfo",
           "DeploymentTarget", "all_deployments", "get_target"]
