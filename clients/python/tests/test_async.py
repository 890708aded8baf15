"""The asyncio client against a live ``braid demo``."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from braid_client import AsyncBraidClient, BraidError


def test_async_query_route_search_and_status(braid_url: str) -> None:
    async def main() -> None:
        async with AsyncBraidClient(braid_url, api_key="") as braid:
            assert await braid.healthy()
            status = await braid.wait_until_ready(timeout=10)
            assert status.counts.entities > 1000
            answer, plan, hits = await asyncio.gather(
                braid.query("Which countries border France?", k=5),
                braid.route("pictures of musical instruments"),
                braid.search("graph", "Which countries border Kenya?", k=10),
            )
            assert answer.plan.primary == "graph" and answer.results[0].facts
            assert plan.plan.primary == "vector"
            assert "Ethiopia" in {h.title for h in hits.results}
            assert (await braid.neighbors("country:KEN", relation="borders")).entities
            assert (await braid.path("country:KEN", "country:ETH")).found
            assert {t.function.name for t in await braid.tools()} >= {"knowledge_query"}
            assert "braid_" in await braid.metrics()

    asyncio.run(main())


def test_async_writes_and_deletes(braid_url: str) -> None:
    tag = uuid.uuid4().hex[:10]
    doc_id = f"doc:test:async:{tag}"
    entity_type = f"async_thing_{tag}"

    async def main() -> None:
        async with AsyncBraidClient(braid_url, api_key="") as braid:
            assert (
                await braid.add_documents({"id": doc_id, "title": "Async", "text": "written from asyncio"})
            ).ids == [doc_id]
            assert (await braid.get_document(doc_id)).text == "written from asyncio"
            assert (await braid.delete_document(doc_id)).deleted == doc_id
            # Schema records: words for a type the graph has, and one it lacks.
            await braid.add_entities({"id": f"test:async:{tag}", "name": f"Thing {tag}", "type": entity_type})
            written = await braid.add_schema({"entity_type": entity_type, "plural": "thingies"})
            assert written.ids == [f"entity_type:{entity_type}"]
            described = (await braid.schema()).entity_type(entity_type)
            assert described is not None and described.plural == "thingies" and described.count == 1
            with pytest.raises(BraidError) as raised:
                await braid.add_schema([{"entity_type": f"no_such_type_{tag}"}])
            assert (raised.value.code, raised.value.field) == ("invalid_request", "items[0].entity_type")
            await braid.delete_entity(f"test:async:{tag}")
            with pytest.raises(BraidError) as raised:
                await braid.get_document(doc_id)
            assert raised.value.code == "not_found"

    asyncio.run(main())


def test_async_errors_carry_code_message_and_field(braid_url: str) -> None:
    async def main() -> None:
        async with AsyncBraidClient(braid_url, api_key="") as braid:
            with pytest.raises(BraidError) as raised:
                await braid.query("x", k=5000)
            assert (raised.value.status, raised.value.code, raised.value.field) == (400, "invalid_request", "k")
            with pytest.raises(BraidError) as raised:
                await braid.search("web", "latest news")
            assert raised.value.code == "unavailable"

    asyncio.run(main())
