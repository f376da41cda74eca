"""The deployment interface every target implements, and the registry of targets by name.

A target (``local``, ``azureml-local``, Azure's ``aci``, ``aks``, ``azureml-online`` and
``azureml-kubernetes``) deploys a registered model version as a REST endpoint and manages it:
update to another version, delete, get, list, predict and logs, plus its keys. A target
declares the options it takes (``OPTIONS``) and a ``notice`` worth reading before choosing it.
Pages and the CLI only ever talk to this interface, so adding a target never touches a page.
Each target's state-changing methods check the operator role (``opml_core.access``) for it.
"""

from __future__ import annotations

import functools
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Callable

from opml_core.access import OPERATOR, require
from opml_core.config import Settings
from opml_core.deploy.options import TargetOption, check_options
from opml_core.errors import DeploymentError

NAME = re.compile(r"^[a-z][a-z0-9-]{2,31}$")
RUNNING, STOPPED, STARTING, FAILED = "running", "stopped", "starting", "failed"
UNREACHABLE = "unreachable"  # a cloud deployment whose state Azure could not tell just now
Progress = Callable[[str], None]


@dataclass(frozen=True)
class DeploymentInfo:
    """A deployment as the Deploy page shows it."""

    name: str
    target: str
    model_name: str
    version: str
    ref: str  # what was asked for: a version number or an alias
    status: str
    scoring_uri: str | None
    auth_required: bool
    engine: str
    note: str | None
    created: str
    updated: str
    details: dict = field(default_factory=dict)

    @property
    def base_url(self) -> str | None:
        return self.scoring_uri.rsplit("/", 1)[0] if self.scoring_uri else None


def validate_name(name: str) -> str:
    if not NAME.match(name or ""):
        raise DeploymentError(f"{name!r} cannot name a deployment: use 3–32 lower-case letters, "
                              "digits or '-', starting with a letter (for example bank-champion).")
    return name


OPERATOR_CALLS = {"deploy": "deploy a model", "start": "start a deployment",
                  "stop": "stop a deployment", "update": "update a deployment",
                  "delete": "delete a deployment", "regenerate_key": "regenerate a key"}


def _operator_only(method, doing: str):
    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        require(OPERATOR, doing)
        return method(self, *args, **kwargs)

    guarded._opml_guarded = True
    return guarded


class DeploymentTarget(ABC):
    """Where endpoints run. One instance per settings; methods raise DeploymentError."""

    key: str = ""
    title: str = ""
    notice: str | None = None  # shown beside the target when choosing it
    OPTIONS: tuple[TargetOption, ...] = ()
    can_stop = False  # whether stop() and start() are offered

    def __init__(self, settings: Settings):
        self.settings = settings

    def __init_subclass__(cls, **kwargs):
        """Every target's state-changing methods check the operator role (``access.require``)."""
        super().__init_subclass__(**kwargs)
        for name, doing in OPERATOR_CALLS.items():
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "_opml_guarded", False):
                setattr(cls, name, _operator_only(method, doing))

    @abstractmethod
    def deploy(self, name: str, model_name: str, ref: str, *, auth: bool = True,
               options: dict | None = None,
               progress: Progress = lambda m: None) -> DeploymentInfo: ...

    def check_options(self, given: dict | None) -> dict:
        """Typed option values, or a DeploymentError naming the option (nothing is sent yet)."""
        return check_options(self.OPTIONS, given)

    def start(self, name: str) -> DeploymentInfo:
        raise DeploymentError(f"{self.title} deployments run until deleted; opml cannot start "
                              "or stop them.")

    def stop(self, name: str) -> DeploymentInfo:
        return self.start(name)

    @abstractmethod
    def update(self, name: str, ref: str, *, progress: Progress = lambda m: None) -> DeploymentInfo: ...

    @abstractmethod
    def delete(self, name: str) -> None: ...

    @abstractmethod
    def get(self, name: str) -> DeploymentInfo: ...

    @abstractmethod
    def list(self) -> list[DeploymentInfo]: ...

    @abstractmethod
    def keys(self, name: str): ...

    @abstractmethod
    def regenerate_key(self, name: str, slot: str): ...

    @abstractmethod
    def logs(self, name: str, lines: int = 50) -> list[str]: ...

    @abstractmethod
    def model_info(self, name: str):
        """The BundleMeta of the model a deployment serves (inputs, classes, metrics)."""

    def recent_requests(self, name: str, limit: int = 20) -> list[dict]:
        """The newest usage records of a deployment, newest first, from its usage log."""
        from opml_core.serve.usage_log import recent_records

        return recent_records(self.settings.workspace.usage, name, limit)

    def predict(self, name: str, records: list[dict]) -> dict:
        """Score rows through the deployment's endpoint; return the response document."""
        from opml_core.client import EndpointClient

        info = self.get(name)
        if info.status != RUNNING:
            raise DeploymentError(f"{name} is {info.status}; start it before sending requests.")
        keys = self.keys(name)
        response = EndpointClient(info.scoring_uri, keys.primary if keys.required else None).score(records)
        if response.status != 200:
            raise DeploymentError(f"{name} answered {response.status}: "
                                  f"{response.document.get('error')}")
        return response.document


TARGETS: dict[str, type[DeploymentTarget]] = {}


def register_target(cls: type[DeploymentTarget]) -> type[DeploymentTarget]:
    TARGETS[cls.key] = cls
    return cls


def get_target(key: str, settings: Settings) -> DeploymentTarget:
    if key not in TARGETS:
        raise DeploymentError(f"Unknown deployment target {key!r}; choose one of {', '.join(TARGETS)}.")
    return TARGETS[key](settings)


def all_deployments(settings: Settings) -> list[DeploymentInfo]:
    """Every deployment of every target, by name."""
    found = []
    for key in TARGETS:
        found += get_target(key, settings).list()
    return sorted(found, key=lambda d: d.name)
