"""Small helpers shared by the CLI modules."""

import sys


def stderr(message: str) -> None:
    """Progress messages go to stderr, so stdout stays one JSON document."""
    print(message, file=sys.stderr)


def split_list(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]
