"""Failures become one exception type, BraidError, with the server's code, message and field."""

from __future__ import annotations

import pickle
import socket

import httpx
import pytest
from pydantic import ValidationError

from braid_client import BraidClient, BraidError, DocumentRecord

from conftest import Limited


def test_bad_input_names_the_field(client: BraidClient) -> None:
    with pytest.raises(BraidError) as raised:
        client.query("Which countries border France?", k=0)
    error = raised.value
    assert (error.status, error.code, error.field) == (400, "invalid_request", "k")
    assert "between 1 and 1000" in error.message
    assert error.request_id and error.request_id.startswith("braid-")
    assert str(error) == f"HTTP 400 invalid_request: {error.message} (field 'k')"
    with pytest.raises(BraidError) as raised:
        client.query("x", diversity=5.0)
    assert raised.value.field == "diversity"


def test_bad_input_in_a_batch_names_the_item(client: BraidClient) -> None:
    with pytest.raises(BraidError) as raised:
        client.add_relations([{"source": "country:FRA", "relation": "borders", "target": "country:NOPE-404"}])
    assert raised.value.status in (400, 404), raised.value
    with pytest.raises(BraidError) as raised:
        client.add_documents([DocumentRecord(id="doc:ok", text="fine"), DocumentRecord(id="", text="no id")])
    assert raised.value.status == 400 and raised.value.field is not None
    assert raised.value.field.startswith("items[1]"), raised.value.field


def test_arguments_the_models_reject_never_reach_the_server(client: BraidClient) -> None:
    # A misspelt route is a bug in the caller: pydantic says so before anything is sent.
    with pytest.raises(ValidationError):
        client.query("x", routes=["graf"])  # type: ignore[list-item]
    # A schema record must say which type it describes: a relation type or an entity type.
    with pytest.raises(ValidationError):
        client.add_schema({"label": "borders on"})


def test_unknown_ids_are_404(client: BraidClient) -> None:
    with pytest.raises(BraidError) as raised:
        client.get_entity("country:NOPE")
    assert (raised.value.status, raised.value.code, raised.value.field) == (404, "not_found", None)


def test_an_unreachable_server() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound but not listening: connections are refused
        client = BraidClient(f"http://127.0.0.1:{port}", api_key="")
        with pytest.raises(BraidError) as raised:
            client.status()
        assert raised.value.code == "unreachable" and raised.value.status is None
        assert isinstance(raised.value.__cause__, httpx.ConnectError)
        assert not client.healthy()
        with pytest.raises(BraidError) as raised:
            client.wait_until_ready(timeout=0.3, interval=0.1)
        assert raised.value.code == "unreachable"


def test_no_key_or_a_wrong_key_is_401(limited: Limited) -> None:
    for key in ("", "not-the-key"):
        with pytest.raises(BraidError) as raised:
            BraidClient(limited.url, api_key=key).status()
        assert (raised.value.status, raised.value.code) == (401, "unauthorized")
    # /healthz stays open.
    assert BraidClient(limited.url, api_key="").healthy()


def test_a_read_key_queries_but_may_not_write(limited: Limited) -> None:
    reader = BraidClient(limited.url, api_key=limited.read_key)
    assert reader.query("Which countries border Kenya?", k=3).results
    with pytest.raises(BraidError) as raised:
        reader.add_documents({"id": "doc:test:forbidden", "text": "no"})
    assert (raised.value.status, raised.value.code) == (403, "forbidden")
    assert reader.schema().relation("borders") is not None
    with pytest.raises(BraidError) as raised:
        reader.add_schema({"relation_type": "borders", "label": "borders"})
    assert (raised.value.status, raised.value.code) == (403, "forbidden")


def test_the_key_comes_from_the_environment(limited: Limited, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRAID_API_KEY", limited.write_key)
    monkeypatch.setenv("BRAID_URL", limited.url)
    with BraidClient() as writer:
        assert writer.base_url == limited.url
        assert writer.status().counts.entities > 0


# ----- answers no Braid server gives: a transport that plays them -----


def _client(handler: httpx.MockTransport) -> BraidClient:
    return BraidClient("http://braid.test", api_key="", max_retries=0, http_client=httpx.Client(transport=handler))


def test_a_non_json_error_keeps_the_status_and_the_text() -> None:
    proxy = httpx.MockTransport(lambda r: httpx.Response(502, text="<html>Bad Gateway</html>"))
    with pytest.raises(BraidError) as raised:
        _client(proxy).status()
    assert (raised.value.status, raised.value.code) == (502, "http_error")
    assert "Bad Gateway" in raised.value.message


def test_an_answer_that_does_not_match_the_api_is_invalid_response() -> None:
    odd = httpx.MockTransport(lambda r: httpx.Response(200, json={"version": "9"}))
    with pytest.raises(BraidError) as raised:
        _client(odd).status()
    assert raised.value.code == "invalid_response" and raised.value.status == 200
    assert isinstance(raised.value.__cause__, ValidationError)
    garbled = httpx.MockTransport(lambda r: httpx.Response(200, content=b"{not json"))
    with pytest.raises(BraidError) as raised:
        _client(garbled).status()
    assert raised.value.code == "invalid_response"


def test_a_client_side_timeout_is_a_braid_error() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(BraidError) as raised:
        _client(httpx.MockTransport(slow)).query("x")
    assert raised.value.code == "timeout" and raised.value.status is None
    assert "POST http://braid.test/v1/query" in raised.value.message


def test_a_server_behind_a_path_prefix() -> None:
    seen: list[str] = []

    def proxy(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"status": "ok"})

    http = httpx.Client(transport=httpx.MockTransport(proxy))
    client = BraidClient("https://example.test/braid/", api_key="", http_client=http)
    assert client.health().status == "ok" and seen == ["https://example.test/braid/healthz"]
    assert client.absolute_url("/v1/images/img:x/content") == "https://example.test/braid/v1/images/img:x/content"
    assert client.base_url == "https://example.test/braid"


def test_errors_pickle_with_their_fields() -> None:
    error = BraidError("rate_limited", "slow down", status=429, retry_after=2.0, request_id="braid-1")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.code, copy.message, copy.status, copy.retry_after, copy.request_id) == (
        "rate_limited",
        "slow down",
        429,
        2.0,
        "braid-1",
    )
    assert str(copy) == str(error)
