"""What the framework retrievers share: the query options, and how one fused hit becomes
a text and a metadata dict with Braid's provenance.

Metadata of each hit (the same keys for LangChain and LlamaIndex):

========================  =============================================================
``id``                    the hit's id (``country:AND``, ``doc:…``, ``img:…``, a URL)
``kind``, ``modality``    ``entity|document|image|web``, ``text|image``
``title``                 display title
``score``                 the fused score (higher is better)
``routes``                the routes that found it, best first (``["graph"]``)
``ranks``                 each finding route's 1-based rank (``{"graph": 1}``)
``sources``               per route: ``route``, ``rank``, raw ``score``, ``contribution``
``facts``                 supporting graph facts (``["France —borders→ Andorra"]``)
``uri``                   image path or web URL, when there is one
``thumbnail_url``         absolute URL of the stored image's bytes (stored images)
``image_url``             for image hits: ``thumbnail_url``, else ``uri``
``query``                 the query Braid answered
``plan_primary``          the plan's primary route
``plan_selected``         the routes the plan ran
========================  =============================================================

Keys whose value would be ``None`` (``uri``, ``thumbnail_url``, ``image_url``) are left out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .models import FusedHit, FusionMethod, QueryResponse, Route

__all__ = ["QueryOptions", "hit_metadata", "hit_text"]


@dataclass(frozen=True)
class QueryOptions:
    """The ``POST /v1/query`` options a retriever sends with every query."""

    k: int = 10
    """How many results."""
    routes: Sequence[Route] | None = None
    """Force these routes instead of letting Braid's plan choose."""
    filters: Mapping[str, Any] | None = None
    """e.g. ``{"modality": "image"}`` or ``{"type": "country"}``."""
    fusion: FusionMethod | None = None
    diversity: float | None = None
    interleave: bool | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Other request fields, passed through (for options newer than this client)."""

    def request(self, query: str) -> dict[str, Any]:
        """The request body for ``query`` (``None`` options left to the server)."""
        body: dict[str, Any] = {
            "query": query,
            "k": self.k,
            "routes": list(self.routes) if self.routes is not None else None,
            "filters": dict(self.filters) if self.filters is not None else None,
            "fusion": self.fusion,
            "diversity": self.diversity,
            "interleave": self.interleave,
            **self.extra,
        }
        return {name: value for name, value in body.items() if value is not None}


def hit_text(hit: FusedHit) -> str:
    """The hit as text for a prompt: its title, its snippet, and its supporting facts."""
    lines = [hit.title]
    if hit.snippet and hit.snippet.strip() != hit.title.strip():
        lines.append(hit.snippet)
    if hit.facts:
        lines.append("Facts: " + "; ".join(hit.facts))
    return "\n".join(lines)


def hit_metadata(hit: FusedHit, answer: QueryResponse, absolute_url: Callable[[str], str]) -> dict[str, Any]:
    """The provenance of ``hit`` in ``answer`` as a plain dict (see the module's table).

    ``absolute_url`` turns a server path (a hit's ``thumbnail``) into a URL, e.g.
    :meth:`braid_client.BraidClient.absolute_url`.
    """
    meta: dict[str, Any] = {
        "id": hit.id,
        "kind": hit.kind,
        "modality": hit.modality,
        "title": hit.title,
        "score": hit.score,
        "routes": hit.routes,
        "ranks": hit.ranks,
        "sources": [s.model_dump(mode="json") for s in hit.sources],
        "facts": list(hit.facts),
        "query": answer.query,
        "plan_primary": answer.plan.primary,
        "plan_selected": answer.plan.selected,
    }
    if hit.uri:
        meta["uri"] = hit.uri
    if hit.thumbnail:
        meta["thumbnail_url"] = absolute_url(hit.thumbnail)
    if hit.modality == "image":
        image_url = meta.get("thumbnail_url") or hit.uri
        if image_url:
            meta["image_url"] = image_url
    return meta
