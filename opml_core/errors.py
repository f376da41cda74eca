"""The errors opml raises on purpose.

Every message is written for the person at the browser: it says what is wrong and what to do
next. Pages show them with one helper (``opml_core.ui.feedback``); anything that is not an
``OpmlError`` is a bug and surfaces as one.
"""


class OpmlError(Exception):
    """Base class: a problem the user can act on; `details` (log lines, say) are shown folded."""

    def __init__(self, message: str, details: str | None = None):
        super().__init__(message)
        self.details = details


class ConfigError(OpmlError):
    """A setting (environment variable or secrets entry) has a value opml cannot use."""


class DataError(OpmlError):
    """An upload, table or dataset choice cannot be used as asked."""


class TableExistsError(DataError):
    """A table with the chosen name exists and replacing it was not confirmed."""


class TrainingError(OpmlError):
    """A model cannot be trained, logged or registered as asked."""


class DeploymentError(OpmlError):
    """A deployment cannot be created, changed or reached."""


class ScoringError(OpmlError):
    """Inputs cannot be scored as sent."""


class MonitorError(OpmlError):
    """Usage cannot be collected or monitoring cannot be computed as asked."""


class ForeignCodeError(ScoringError):
    """A version that runs its own code to score: only its endpoint may run it, never the app."""
