"""What the sync and async clients share: a call's description, the retry policy, and the
mapping of answers to results or :class:`BraidError`. Only the sending differs."""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx
from pydantic import ValidationError

from .errors import BraidError

T = TypeVar("T")

DEFAULT_URL = "http://127.0.0.1:7878"
DEFAULT_TIMEOUT = 60.0
RETRY_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class Call(Generic[T]):
    """One HTTP exchange: what to send and how to read a successful answer."""

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    params: dict[str, Any] | None = None
    json: Any = None


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before sending a call again.

    Braid answers 429 (``rate_limited``) and 503 (``overloaded``) before a request is
    handled, with ``Retry-After``, so any call (writes included) can be sent again.
    """

    max_retries: int = 3
    """Retries after the first attempt; 0 turns retrying off."""
    max_wait: float = 60.0
    """A ``Retry-After`` longer than this (seconds) is not waited for: the error is raised."""
    backoff: float = 0.5
    """First wait when the answer has no ``Retry-After``; doubled on each retry."""
    max_backoff: float = 8.0
    """Cap of the doubled wait."""
    statuses: frozenset[int] = field(default=RETRY_STATUSES)
    """The statuses that are retried."""

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, not {self.max_retries}")
        if self.max_wait < 0:
            raise ValueError(f"max_retry_wait must be 0 or more, not {self.max_wait}")

    def delay(self, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before retry number ``attempt + 1``, or ``None`` not to retry."""
        if response.status_code not in self.statuses or attempt >= self.max_retries:
            return None
        asked = retry_after(response)
        if asked is not None:
            return asked if asked <= self.max_wait else None
        wait = min(self.max_backoff, self.backoff * (2.0**attempt))
        return min(self.max_wait, wait * random.uniform(1.0, 1.25))


def retry_after(response: httpx.Response) -> float | None:
    """The ``Retry-After`` header in seconds (delta-seconds or an HTTP date), if present and valid."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def error_from_response(response: httpx.Response) -> BraidError:
    """The :class:`BraidError` of a non-2xx answer (the body must have been read)."""
    code, message, field = "http_error", "", None
    try:
        body = response.json()
    except ValueError:
        body = None
    detail = body.get("error") if isinstance(body, dict) else None
    if isinstance(detail, dict) and isinstance(detail.get("code"), str):
        code = detail["code"]
        message = str(detail.get("message", ""))
        field = detail.get("field") if isinstance(detail.get("field"), str) else None
    else:
        message = response.text[:500].strip() or response.reason_phrase or "no body"
    return BraidError(
        code,
        message,
        status=response.status_code,
        field=field,
        retry_after=retry_after(response),
        request_id=response.headers.get("x-request-id"),
    )


def transport_error(error: httpx.HTTPError, method: str, url: str) -> BraidError:
    """The :class:`BraidError` of a request that got no answer."""
    if isinstance(error, httpx.TimeoutException):
        code = "timeout"
    elif isinstance(error, httpx.ConnectError):
        code = "unreachable"
    else:
        code = "transport_error"
    return BraidError(code, f"{method} {url}: {type(error).__name__}: {error}")


def finish(call: Call[T], response: httpx.Response) -> T:
    """The result of a successful answer, or :class:`BraidError` if it does not parse."""
    try:
        return call.parse(response)
    except (ValidationError, ValueError) as e:
        # json.JSONDecodeError is a ValueError; pydantic's ValidationError is one too,
        # but named here for the reader.
        raise BraidError(
            "invalid_response",
            f"{call.method} {call.path}: the answer does not match the API: {e}",
            status=response.status_code,
            request_id=response.headers.get("x-request-id"),
        ) from e


def join(base_url: httpx.URL, path: str) -> str:
    """``path`` on the server at ``base_url``, keeping any path prefix of ``base_url``
    (a server behind a proxy at ``https://host/braid``); absolute URLs are returned as they are."""
    if path.startswith(("http://", "https://")):
        return path
    return str(base_url).rstrip("/") + "/" + path.lstrip("/")


def json_body(response: httpx.Response) -> Any:
    """The decoded JSON body."""
    return json.loads(response.content)


_sleep = time.sleep
_async_sleep = asyncio.sleep


def send_sync(client: httpx.Client, call: Call[T], policy: RetryPolicy) -> T:
    """Sends ``call`` with ``client``, retrying per ``policy``; raises :class:`BraidError`."""
    attempt = 0
    while True:
        try:
            response = client.request(call.method, call.path, params=call.params, json=call.json)
        except httpx.HTTPError as e:
            raise transport_error(e, call.method, join(client.base_url, call.path)) from e
        if response.is_success:
            return finish(call, response)
        wait = policy.delay(response, attempt)
        if wait is None:
            raise error_from_response(response)
        response.close()
        _sleep(wait)
        attempt += 1


async def send_async(client: httpx.AsyncClient, call: Call[T], policy: RetryPolicy) -> T:
    """The async twin of :func:`send_sync`."""
    attempt = 0
    while True:
        try:
            response = await client.request(call.method, call.path, params=call.params, json=call.json)
        except httpx.HTTPError as e:
            raise transport_error(e, call.method, join(client.base_url, call.path)) from e
        if response.is_success:
            return finish(call, response)
        wait = policy.delay(response, attempt)
        if wait is None:
            raise error_from_response(response)
        await response.aclose()
        await _async_sleep(wait)
        attempt += 1
