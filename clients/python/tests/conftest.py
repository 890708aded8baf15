"""Fixtures: the live servers the tests run against (started by .ci/python.sh).

- ``BRAID_URL``: a ``braid demo`` without keys or limits;
- ``BRAID_LIMITED_URL``: a ``braid demo`` with ``BRAID_RATE_LIMIT``, a write key
  (``BRAID_LIMITED_WRITE_KEY``) and a read key (``BRAID_LIMITED_READ_KEY``).

A test that needs a server it was not given fails (it does not skip): run the suite with
``.ci/python.sh``, or start the servers yourself and export the variables.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from braid_client import BraidClient


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"${name} is not set: run .ci/python.sh, which starts the servers these tests need")
    return value


@dataclass(frozen=True)
class Limited:
    """The rate-limited, keyed server."""

    url: str
    write_key: str
    read_key: str
    rate_per_minute: int


@pytest.fixture(scope="session")
def braid_url() -> str:
    return _env("BRAID_URL").rstrip("/")


@pytest.fixture(scope="session")
def limited() -> Limited:
    return Limited(
        url=_env("BRAID_LIMITED_URL").rstrip("/"),
        write_key=_env("BRAID_LIMITED_WRITE_KEY"),
        read_key=_env("BRAID_LIMITED_READ_KEY"),
        rate_per_minute=int(_env("BRAID_LIMITED_RATE")),
    )


@pytest.fixture(scope="session")
def client(braid_url: str) -> Iterator[BraidClient]:
    # api_key="" so that a BRAID_API_KEY in the environment does not leak into the tests.
    with BraidClient(braid_url, api_key="") as c:
        c.wait_until_ready(timeout=120)
        yield c


@pytest.fixture(scope="session")
def openapi_doc(client: BraidClient) -> dict[str, Any]:
    return client.openapi()
