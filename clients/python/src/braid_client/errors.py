"""The one exception type of the client: :class:`BraidError`."""

from __future__ import annotations

from typing import Any


class BraidError(Exception):
    """Any failure of a Braid call: an error answer from the server, or no usable answer.

    Error answers carry the server's ``{"error": {"code", "message", "field"}}`` body and
    the HTTP status. Failures without an answer have ``status`` ``None`` and one of the
    client's own codes:

    - ``unreachable``: no connection could be made;
    - ``timeout``: the client's timeout elapsed before the answer came;
    - ``transport_error``: the connection broke in another way;
    - ``invalid_response``: an answer that is not the JSON the API documents.

    Attributes:
        code: Machine-readable code, e.g. ``invalid_request``, ``not_found``,
            ``unauthorized``, ``forbidden``, ``rate_limited``, ``overloaded``.
        message: What went wrong, in words.
        status: The HTTP status, or ``None`` when there was no answer.
        field: The offending request field for bad input (e.g. ``k``, ``items[0].text``).
        retry_after: Seconds the server asked the client to wait (``Retry-After``), if any.
        request_id: The server's ``x-request-id`` of the failed request, if any.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        field: str | None = None,
        retry_after: float | None = None,
        request_id: str | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.status = status
        self.field = field
        self.retry_after = retry_after
        self.request_id = request_id
        super().__init__(self._describe())

    def _describe(self) -> str:
        prefix = f"HTTP {self.status} " if self.status is not None else ""
        where = f" (field '{self.field}')" if self.field else ""
        return f"{prefix}{self.code}: {self.message}{where}"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments do not survive the default pickling of exceptions.
        return (_rebuild, (self.code, self.message, self.status, self.field, self.retry_after, self.request_id))

    def __repr__(self) -> str:
        return f"BraidError(code={self.code!r}, message={self.message!r}, status={self.status!r}, field={self.field!r})"


def _rebuild(
    code: str, message: str, status: int | None, field: str | None, retry_after: float | None, request_id: str | None
) -> BraidError:
    return BraidError(code, message, status=status, field=field, retry_after=retry_after, request_id=request_id)
