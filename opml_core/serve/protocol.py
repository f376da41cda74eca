"""uvicorn's httptools protocol with a deadline for a request's headers.

uvicorn closes a keep-alive connection that stays idle, but not one that opened and never
finished its headers (or sent one byte of them): a stranger could hold hundreds open. Here every
connection must complete a request's headers within ``HEADER_TIMEOUT_S`` of opening, or of its
previous answer, or it is closed. The body's own deadline is the endpoint's (``serve/app.py``).
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEADER_TIMEOUT_S = 10.0


class GuardedProtocol(HttpToolsProtocol):
    """Closes connections whose headers do not arrive in time."""

    header_timeout_s = HEADER_TIMEOUT_S

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._arm_header_deadline()

    def on_headers_complete(self) -> None:
        self._headers_waiting = False
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_header_deadline()

    def connection_lost(self, exc) -> None:
        deadline = getattr(self, "_header_deadline", None)
        if deadline is not None:
            deadline.cancel()
        super().connection_lost(exc)

    def _arm_header_deadline(self) -> None:
        self._headers_waiting = True
        previous = getattr(self, "_header_deadline", None)
        if previous is not None:
            previous.cancel()
        self._header_deadline = self.loop.call_later(self.header_timeout_s, self._headers_late)

    def _headers_late(self) -> None:
        if self._headers_waiting and not self.transport.is_closing():
            self.transport.close()


def guarded(header_timeout_s: float) -> type[GuardedProtocol]:
    """The protocol class with its deadline set (uvicorn takes a class for ``http``)."""
    return type("GuardedProtocol", (GuardedProtocol,), {"header_timeout_s": header_timeout_s})
