"""Settings a target asks for when deploying (CPU, memory, replicas…), declared once.

A target lists its ``TargetOption``s; the Deploy page and the CLI render and read them without
knowing the target, and ``check_options`` turns what was given into typed values, or a
``DeploymentError`` naming the option and what it accepts.
"""

from __future__ import annotations

from dataclasses import dataclass

from opml_core.errors import DeploymentError

NUMBER, INTEGER, TEXT = "number", "integer", "text"


@dataclass(frozen=True)
class TargetOption:
    """One deploy-time setting: its key, label, kind, default and bounds."""

    key: str
    label: str
    kind: str = NUMBER
    default: float | int | str | None = None
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    help: str = ""
    required: bool = False

    def read(self, value):
        """The value as this option's type, checked against its bounds."""
        if value is None or value == "":
            if self.required:
                raise DeploymentError(f"{self.label} is required: {self.help or 'fill it in'}.")
            return self.default
        if self.kind == TEXT:
            return str(value).strip()
        try:
            number = int(value) if self.kind == INTEGER else float(value)
        except (TypeError, ValueError):
            raise DeploymentError(f"{self.label} must be a {'whole ' if self.kind == INTEGER else ''}"
                                  f"number; got {value!r}.") from None
        if self.kind == INTEGER and float(value) != number:
            raise DeploymentError(f"{self.label} must be a whole number; got {value!r}.")
        if (self.minimum is not None and number < self.minimum) or \
                (self.maximum is not None and number > self.maximum):
            raise DeploymentError(f"{self.label} must be between {self.minimum:g} and "
                                  f"{self.maximum:g}; got {value!r}.")
        return number


def check_options(declared: tuple[TargetOption, ...], given: dict | None) -> dict:
    """Typed values for every declared option (defaults for those not given); unknown keys are
    refused so a typo never passes silently."""
    given = dict(given or {})
    unknown = sorted(set(given) - {o.key for o in declared})
    if unknown:
        names = ", ".join(o.key for o in declared) or "none"
        raise DeploymentError(f"Unknown option {unknown[0]!r} for this target; it takes: {names}.")
    return {o.key: o.read(given.get(o.key)) for o in declared}
