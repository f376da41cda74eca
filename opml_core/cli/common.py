"""Small helpers shared by the CLI modules."""

import sys


def stderr(message: str) -> None:
    """Progress messages go to stderr, so stdout stays one JSON document."""
    print(message, file=sys.stderr)


def split_list(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def split_pairs(items: list[str], flag: str) -> dict[str, str]:
    """``["a=1", "b=x"]`` as ``{"a": "1", "b": "x"}``; a malformed item names the flag."""
    from opml_core.errors import OpmlError

    pairs = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise OpmlError(f"Cannot read {flag} {item!r}; write it like cpu_cores=1.")
        pairs[name.strip()] = value.strip()
    return pairs
