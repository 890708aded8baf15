"""A tiny client for Braid's REST API (see docs/API.md), used by the notebooks here.

    from braid_client import Braid
    braid = Braid()                      # BRAID_URL, default http://127.0.0.1:7878
    braid.query("Which countries border France?", k=3)

Only dependency: ``requests``. Errors come back as :class:`BraidError` carrying the
server's ``{"error": {"code", "message", "field"}}`` body.
"""

from __future__ import annotations

import os
import time
from typing import Any, Iterable, Optional

import requests

DEFAULT_URL = "http://127.0.0.1:7878"
ROUTES = ("graph", "vector", "web")


class BraidError(Exception):
    """A non-2xx answer from Braid (or no answer at all)."""

    def __init__(self, status: Optional[int], code: str, message: str, field: Optional[str] = None):
        self.status, self.code, self.message, self.field = status, code, message, field
        where = f" (field '{field}')" if field else ""
        prefix = f"HTTP {status} " if status is not None else ""
        super().__init__(f"{prefix}{code}: {message}{where}")


class Braid:
    """Client for one Braid server.

    base_url: defaults to ``$BRAID_URL`` or http://127.0.0.1:7878.
    api_key:  defaults to ``$BRAID_API_KEY``; sent as ``Authorization: Bearer``.
    """

    def __init__(self, base_url: Optional[str] = None, api_key: Optional[str] = None, timeout: float = 60.0):
        self.base_url = (base_url or os.environ.get("BRAID_URL") or DEFAULT_URL).rstrip("/")
        api_key = api_key if api_key is not None else os.environ.get("BRAID_API_KEY")
        self.timeout = timeout
        self.session = requests.Session()
        if api_key:
            self.session.headers["Authorization"] = f"Bearer {api_key}"

    def __repr__(self) -> str:
        return f"Braid({self.base_url!r})"

    # ----- plumbing -----

    def _request(self, method: str, path: str, *, raw: bool = False, **kwargs: Any) -> Any:
        url = self.base_url + path
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as e:
            raise BraidError(None, "unreachable", f"{method} {url} failed: {e}") from e
        if not response.ok:
            code, message, field = "http_error", response.text[:500] or response.reason, None
            try:
                err = response.json().get("error", {})
                if isinstance(err, dict):
                    code = err.get("code", code)
                    message = err.get("message", message)
                    field = err.get("field")
            except ValueError:
                pass
            raise BraidError(response.status_code, code, message, field)
        return response if raw else response.json()

    def _post(self, path: str, body: dict) -> Any:
        return self._request("POST", path, json=body)

    # ----- API -----

    def healthy(self) -> bool:
        """True when ``GET /healthz`` answers."""
        try:
            self._request("GET", "/healthz")
            return True
        except BraidError:
            return False

    def wait_until_ready(self, timeout: float = 120.0, interval: float = 1.0) -> dict:
        """Polls ``/healthz`` until the server answers (a demo takes a while to load); returns status()."""
        deadline = time.monotonic() + timeout
        while not self.healthy():
            if time.monotonic() > deadline:
                raise BraidError(None, "unreachable", f"no Braid server at {self.base_url} after {timeout:.0f}s")
            time.sleep(interval)
        return self.status()

    def status(self) -> dict:
        """``GET /v1/status``: version, counts, embedder, route availability."""
        return self._request("GET", "/v1/status")

    def query(
        self,
        query: str,
        k: int = 10,
        routes: Optional[Iterable[str]] = None,
        filters: Optional[dict] = None,
        explain: bool = False,
        image_base64: Optional[str] = None,
    ) -> dict:
        """``POST /v1/query``: routed, fused answer (plan, results, per-source status)."""
        body: dict[str, Any] = {"query": query, "k": k}
        if routes is not None:
            body["routes"] = list(routes)
        if filters:
            body["filters"] = filters
        if explain:
            body["explain"] = True
        if image_base64 is not None:
            body["image"] = {"base64": image_base64}
        return self._post("/v1/query", body)

    def route(self, query: str) -> dict:
        """``POST /v1/route``: the routing plan only (nothing executed)."""
        return self._post("/v1/route", {"query": query})["plan"]

    def search(self, route: str, query: str, k: int = 10, filters: Optional[dict] = None) -> list:
        """``POST /v1/search/{route}``: one source's ranked hits."""
        if route not in ROUTES:
            raise ValueError(f"route must be one of {ROUTES}, not {route!r}")
        body: dict[str, Any] = {"query": query, "k": k}
        if filters:
            body["filters"] = filters
        return self._post(f"/v1/search/{route}", body)["results"]

    def add(self, kind: str, items: list) -> dict:
        """``POST /v1/{entities|relations|documents|images}`` with ``{"items": [...]}`` (import-format objects)."""
        if kind not in ("entities", "relations", "documents", "images"):
            raise ValueError(f"kind must be entities, relations, documents or images, not {kind!r}")
        return self._post(f"/v1/{kind}", {"items": list(items)})

    def entity(self, entity_id: str) -> dict:
        """``GET /v1/entities/{id}``: the entity with its relations."""
        return self._request("GET", f"/v1/entities/{requests.utils.quote(entity_id, safe='')}")

    def neighbors(self, entity_id: str, depth: int = 1, relation: Optional[str] = None) -> dict:
        """``GET /v1/entities/{id}/neighbors``: entities and the relations connecting them."""
        params: dict[str, Any] = {"depth": depth}
        if relation:
            params["relation"] = relation
        path = f"/v1/entities/{requests.utils.quote(entity_id, safe='')}/neighbors"
        return self._request("GET", path, params=params)

    def image_bytes(self, image_id_or_path: str) -> bytes:
        """Image bytes: accepts an image id (``img:flag:FRA``) or a result's ``thumbnail`` path."""
        if image_id_or_path.startswith("/"):
            path = image_id_or_path
        elif image_id_or_path.startswith(("http://", "https://")):
            return self._get_absolute(image_id_or_path)
        else:
            path = f"/v1/images/{requests.utils.quote(image_id_or_path, safe='')}/content"
        return self._request("GET", path, raw=True).content

    def _get_absolute(self, url: str) -> bytes:
        try:
            response = self.session.get(url, timeout=self.timeout)
        except requests.RequestException as e:
            raise BraidError(None, "unreachable", f"GET {url} failed: {e}") from e
        if not response.ok:
            raise BraidError(response.status_code, "http_error", response.text[:500] or response.reason)
        return response.content
