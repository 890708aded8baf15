"""A typed Python client for Braid's REST API, with LangChain and LlamaIndex retrievers.

>>> from braid_client import BraidClient                          # doctest: +SKIP
>>> braid = BraidClient("http://127.0.0.1:7878")                  # doctest: +SKIP
>>> answer = braid.query("Which countries border France?", k=3)   # doctest: +SKIP
>>> answer.plan.primary, [(h.title, h.routes, h.facts) for h in answer.results]  # doctest: +SKIP

:class:`BraidClient` (synchronous) and :class:`AsyncBraidClient` (asyncio) cover every REST
operation; answers are pydantic models (:mod:`braid_client.models`); every failure is a
:class:`BraidError` carrying the server's ``code``, ``message`` and ``field``. The
retrievers are in :mod:`braid_client.langchain` (extra ``langchain``) and
:mod:`braid_client.llama_index` (extra ``llamaindex``).
"""

from __future__ import annotations

from . import models
from .async_client import AsyncBraidClient
from .client import BraidClient
from .errors import BraidError
from .models import (
    DocumentRecord,
    Entity,
    EntityTypeRecord,
    Filters,
    FusedHit,
    Hit,
    ImageUpload,
    KbSchema,
    QueryRequest,
    QueryResponse,
    Relation,
    RelationTypeRecord,
    RoutePlan,
    Status,
)

__version__ = "0.1.0"

__all__ = [
    "AsyncBraidClient",
    "BraidClient",
    "BraidError",
    "DocumentRecord",
    "Entity",
    "EntityTypeRecord",
    "Filters",
    "FusedHit",
    "Hit",
    "ImageUpload",
    "KbSchema",
    "QueryRequest",
    "QueryResponse",
    "Relation",
    "RelationTypeRecord",
    "RoutePlan",
    "Status",
    "__version__",
    "models",
]
