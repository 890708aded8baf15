"""Retries on 429 and 503, honouring Retry-After: against a real rate-limited server, and
the cases a live server does not produce on demand (503, HTTP-date Retry-After) against
a transport that plays them."""

from __future__ import annotations

import asyncio
import email.utils
import itertools
import time

import httpx
import pytest

from braid_client import AsyncBraidClient, BraidClient, BraidError, _transport

from conftest import Limited


def drain(limited: Limited) -> BraidError:
    """Spends the write key's rate-limit bucket; returns the first 429."""
    client = BraidClient(limited.url, api_key=limited.write_key, max_retries=0)
    for _ in range(limited.rate_per_minute * 3):
        try:
            client.status()
        except BraidError as e:
            if e.status == 429:
                return e
            raise
    pytest.fail(f"no 429 after {limited.rate_per_minute * 3} requests at {limited.rate_per_minute}/min")


class Recorder:
    """Event hooks that note when each request left and each answer came."""

    def __init__(self) -> None:
        self.events: list[tuple[str, float, int | None, str | None]] = []

    def request(self, request: httpx.Request) -> None:
        self.events.append(("request", time.monotonic(), None, None))

    def response(self, response: httpx.Response) -> None:
        self.events.append(("response", time.monotonic(), response.status_code, response.headers.get("retry-after")))

    def statuses(self) -> list[int | None]:
        return [status for kind, _, status, _ in self.events if kind == "response"]

    def check_waited(self) -> None:
        """Every retry left no earlier than the Retry-After of the answer before it."""
        for (kind, at, _, after), (next_kind, next_at, _, _) in itertools.pairwise(self.events):
            if kind == "response" and after is not None and next_kind == "request":
                assert next_at - at >= float(after) - 0.05, self.events


def test_a_429_without_retries_carries_the_servers_answer(limited: Limited) -> None:
    error = drain(limited)
    assert (error.status, error.code) == (429, "rate_limited")
    assert error.retry_after is not None and error.retry_after >= 1
    assert "rate limit" in error.message


def test_a_429_is_retried_after_retry_after(limited: Limited) -> None:
    recorder = Recorder()
    http = httpx.Client(event_hooks={"request": [recorder.request], "response": [recorder.response]})
    client = BraidClient(limited.url, api_key=limited.write_key, max_retries=5, http_client=http)
    # A token may come back between draining and the call; then the call is not a test of
    # retrying, and it is tried again.
    for _ in range(3):
        drain(limited)
        recorder.events.clear()
        status = client.status()
        if recorder.statuses()[0] == 429:
            break
    statuses = recorder.statuses()
    assert statuses[0] == 429 and statuses[-1] == 200, statuses
    assert status.counts.entities > 0
    recorder.check_waited()


def test_a_retry_after_longer_than_max_retry_wait_is_raised_at_once(limited: Limited) -> None:
    drain(limited)
    client = BraidClient(limited.url, api_key=limited.write_key, max_retries=5, max_retry_wait=0.2)
    started = time.monotonic()
    with pytest.raises(BraidError) as raised:
        client.status()
    assert raised.value.status == 429 and raised.value.retry_after is not None and raised.value.retry_after >= 1
    assert time.monotonic() - started < 0.5


def test_the_async_client_retries_a_429_too(limited: Limited) -> None:
    recorder = Recorder()

    async def main() -> None:
        async def on_request(r: httpx.Request) -> None:
            recorder.request(r)

        async def on_response(r: httpx.Response) -> None:
            recorder.response(r)

        http = httpx.AsyncClient(event_hooks={"request": [on_request], "response": [on_response]})
        async with AsyncBraidClient(limited.url, api_key=limited.write_key, max_retries=5, http_client=http) as c:
            for _ in range(3):
                drain(limited)
                recorder.events.clear()
                await c.status()
                if recorder.statuses()[0] == 429:
                    break
        await http.aclose()

    asyncio.run(main())
    statuses = recorder.statuses()
    assert statuses[0] == 429 and statuses[-1] == 200, statuses
    recorder.check_waited()


# ----- answers played by a transport -----


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Records the client's waits instead of sleeping them."""
    waited: list[float] = []
    monkeypatch.setattr(_transport, "_sleep", waited.append)
    return waited


def _playing(*answers: httpx.Response, retries: int = 3) -> tuple[BraidClient, list[httpx.Request]]:
    sent: list[httpx.Request] = []
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return queue.pop(0) if len(queue) > 1 else queue[0]

    http = httpx.Client(transport=httpx.MockTransport(handler))
    return BraidClient("http://braid.test", api_key="", max_retries=retries, http_client=http), sent


HEALTHY = httpx.Response(200, json={"status": "ok"})
OVERLOADED = {"error": {"code": "overloaded", "message": "all 256 request slots are busy"}}


def test_a_503_is_retried_after_its_retry_after(sleeps: list[float]) -> None:
    client, sent = _playing(httpx.Response(503, json=OVERLOADED, headers={"retry-after": "1"}), HEALTHY)
    assert client.health().status == "ok"
    assert len(sent) == 2 and sleeps == [1.0]


def test_retry_after_as_an_http_date(sleeps: list[float]) -> None:
    when = email.utils.formatdate(time.time() + 3, usegmt=True)
    client, sent = _playing(httpx.Response(503, json=OVERLOADED, headers={"retry-after": when}), HEALTHY)
    assert client.health().status == "ok" and len(sent) == 2
    assert len(sleeps) == 1 and 1.5 <= sleeps[0] <= 3.0, sleeps


def test_without_retry_after_the_wait_doubles(sleeps: list[float]) -> None:
    busy = httpx.Response(503, json=OVERLOADED)
    client, sent = _playing(busy, busy, busy, HEALTHY)
    assert client.health().status == "ok" and len(sent) == 4
    for wait, base in zip(sleeps, (0.5, 1.0, 2.0), strict=True):
        assert base <= wait <= base * 1.25, sleeps


def test_it_gives_up_after_max_retries(sleeps: list[float]) -> None:
    limited = httpx.Response(
        429, json={"error": {"code": "rate_limited", "message": "later"}}, headers={"retry-after": "2"}
    )
    client, sent = _playing(limited, retries=2)
    with pytest.raises(BraidError) as raised:
        client.health()
    assert len(sent) == 3 and sleeps == [2.0, 2.0]
    assert (raised.value.code, raised.value.retry_after) == ("rate_limited", 2.0)


def test_other_errors_are_not_retried(sleeps: list[float]) -> None:
    for status in (400, 404, 500, 504):
        client, sent = _playing(httpx.Response(status, json={"error": {"code": "x", "message": "no"}}))
        with pytest.raises(BraidError):
            client.health()
        assert len(sent) == 1 and sleeps == []


def test_max_retries_zero_turns_retrying_off(sleeps: list[float]) -> None:
    client, sent = _playing(httpx.Response(503, json=OVERLOADED, headers={"retry-after": "1"}), HEALTHY, retries=0)
    with pytest.raises(BraidError) as raised:
        client.health()
    assert raised.value.code == "overloaded" and len(sent) == 1 and sleeps == []
