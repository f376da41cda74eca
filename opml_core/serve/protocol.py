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
        self._headers_due = self.loop.time() + self.header_timeout_s
        self._header_timer = self.loop.call_at(self._headers_due, self._headers_late)

    def on_headers_complete(self) -> None:
        self._headers_due = None
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._headers_due = self.loop.time() + self.header_timeout_s  # the next request's

    def connection_lost(self, exc) -> None:
        timer = getattr(self, "_header_timer", None)
        if timer is not None:
            timer.cancel()
        super().connection_lost(exc)

    def _headers_late(self) -> None:
        """One timer per connection: close when headers are late, else wait for the next due."""
        if self.transport.is_closing():
            return
        due = self._headers_due
        if due is not None and self.loop.time() >= due:
            self.transport.close()
            return
        self._header_timer = self.loop.call_at(
            due if due is not None else self.loop.time() + self.header_timeout_s, self._headers_late)


def guarded(header_timeout_s: float) -> type[GuardedProtocol]:
    """The protocol class with its deadline set (uvicorn takes a class for ``http``)."""
    return type("GuardedProtocol", (GuardedProtocol,), {"header_timeout_s": header_timeout_s})
