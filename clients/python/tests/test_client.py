"""The synchronous client against a live ``braid demo``: every operation."""

from __future__ import annotations

import base64
import uuid

import httpx
import pytest

from braid_client import (
    BraidClient,
    BraidError,
    DocumentRecord,
    Entity,
    EntityTypeRecord,
    Filters,
    ImageUpload,
    QueryRequest,
    Relation,
    RelationTypeRecord,
)
from braid_client.models import FusedHit, QueryResponse, Status

# A 1x1 red PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


def test_status_describes_the_demo(client: BraidClient) -> None:
    status = client.status()
    assert status.counts.entities > 1000 and status.counts.relations > 1000
    assert status.counts.documents > 1000 and status.counts.images > 100
    assert status.embedder.name and status.embedder.dimension > 0
    assert {r.route for r in status.routes} == {"graph", "vector", "web"}
    assert status.route_available("graph") and status.route_available("vector")
    web = next(r for r in status.routes if r.route == "web")
    assert not web.available and web.reason and "provider" in web.reason
    assert status.read_only is False
    assert status.router.weights in ("shipped", "fitted", "configured") and status.router.fitted_on
    assert len(status.router.exemplars) == 3 and all(n > 0 for n in status.router.exemplars)


def test_health_and_readiness(client: BraidClient) -> None:
    assert client.health().status == "ok"
    assert client.healthy()
    assert client.wait_until_ready(timeout=5).version == client.status().version


def test_query_answers_a_relational_question_with_provenance(client: BraidClient) -> None:
    answer = client.query("Which countries border France?", k=20)
    assert answer.query == "Which countries border France?"
    assert answer.plan.primary == "graph" and "graph" in answer.plan.selected
    graph = answer.plan.decision("graph")
    assert graph is not None and 0.5 < graph.score <= 1 and graph.reasons
    titles = {hit.title for hit in answer.results}
    assert {"Belgium", "Germany", "Spain", "Switzerland", "Italy"} <= titles
    first = answer.results[0]
    assert first.routes[0] == "graph" and first.ranks["graph"] == 1
    assert any("France" in fact and "borders" in fact for fact in first.facts)
    report = {s.route: s for s in answer.sources}
    assert report["graph"].status == "ok" and report["graph"].hits > 0
    # The graph says how many matches it found before keeping the best; a skipped route does not.
    assert report["graph"].total is not None and report["graph"].total >= 5
    assert report["vector"].status == "skipped" and report["vector"].total is None
    assert answer.took_ms >= 0


def test_query_forces_routes_and_filters(client: BraidClient) -> None:
    answer = client.query("musical instruments", k=4, routes=["vector"], filters={"modality": "image"})
    assert 1 <= len(answer.results) <= 4
    assert all(hit.modality == "image" and hit.kind == "image" for hit in answer.results)
    assert all(hit.routes == ["vector"] for hit in answer.results)
    ran = [s.route for s in answer.sources if s.status != "skipped"]
    assert ran == ["vector"]
    hit = answer.results[0]
    assert hit.thumbnail == f"/v1/images/{hit.id}/content"
    assert client.image_content(hit.id).startswith(b"\x89PNG\r\n\x1a\n")
    # The thumbnail is fetchable as an absolute URL too (what the retrievers put in metadata).
    assert httpx.get(client.absolute_url(hit.thumbnail)).content.startswith(b"\x89PNG")


def test_query_takes_a_request_model(client: BraidClient) -> None:
    request = QueryRequest(query="koala", k=2, filters=Filters(modality="text"), fusion="dbsf", diversity=0.3)
    answer = client.query(request)
    assert 1 <= len(answer.results) <= 2 and all(h.modality == "text" for h in answer.results)
    with pytest.raises(TypeError, match="inside the QueryRequest"):
        client.query(request, k=3)


def test_explain_returns_a_typed_trace(client: BraidClient) -> None:
    answer = client.query("how are Kenya and Ethiopia connected", k=3, explain=True)
    assert answer.trace is not None
    assert {"country:KEN", "country:ETH"} <= {e.id for e in answer.trace.features.entities}
    assert {route for route, _ in answer.trace.probabilities} == {"graph", "vector", "web"}
    assert answer.trace.fusion.method == "rrf" and answer.trace.feature_vector
    # An implied relation (country to country) and a path cue, which says nothing of its direction.
    cues = {cue.relation: cue for cue in answer.trace.features.relations}
    assert cues["borders"].confidence < 1 and cues["borders"].why and cues["borders"].related > 0
    assert cues["path"].why is None and cues["path"].related == 0
    assert isinstance(answer.trace.features.other_words, int)
    features = client.query("Which countries border France?", k=3, explain=True).trace
    assert features is not None and "country" in features.features.types
    cue = features.features.relations[0]
    assert (cue.relation, cue.confidence) == ("borders", 1.0) and cue.why and cue.related > 0
    assert client.query("how are Kenya and Ethiopia connected", k=3).trace is None


def test_route_plans_without_running(client: BraidClient) -> None:
    plan = client.route("pictures of musical instruments").plan
    assert plan.primary == "vector"
    assert {r.route for r in plan.routes} == {"graph", "vector", "web"}
    scores = [r.score for r in plan.routes]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)


def test_search_runs_one_route(client: BraidClient) -> None:
    graph = client.search("graph", "Which countries border Kenya?", k=10)
    assert {"Ethiopia", "Somalia", "Tanzania", "Uganda"} <= {h.title for h in graph.results}
    vector = client.search("vector", "koala", k=3, filters=Filters(modality="text"))
    assert 1 <= len(vector.results) <= 3 and all(h.modality == "text" for h in vector.results)
    with pytest.raises(BraidError) as raised:
        client.search("web", "latest news")
    assert raised.value.status == 422 and raised.value.code == "unavailable"


def test_write_read_and_delete(client: BraidClient) -> None:
    tag = uuid.uuid4().hex[:10]
    a, b = f"test:{tag}:a", f"test:{tag}:b"
    doc_id, img_id = f"doc:test:{tag}", f"img:test:{tag}"
    word = f"zorblat{tag}"

    written = client.add_entities(
        [
            Entity(id=a, name=f"Alpha {tag}", type="testland", aliases=[f"alf {tag}"]),
            {"id": b, "name": f"Beta {tag}", "type": "testland", "props": {"n": 1}},
        ]
    )
    assert written.written == 2 and set(written.ids) == {a, b}
    assert client.add_relations(Relation(source=a, relation="borders", target=b)).written == 1
    assert client.add_relations({"source": a, "relation": "borders", "target": b}).unchanged == 1
    client.add_documents(DocumentRecord(id=doc_id, title=f"About {tag}", text=f"The {word} lives here.", entities=[a]))
    client.add_images(
        ImageUpload(
            id=img_id, base64=base64.b64encode(PNG).decode(), caption=f"a red dot {word}", depicts=[a], tags=["test"]
        )
    )

    view = client.get_entity(a)
    assert view.entity.name == f"Alpha {tag}" and view.entity.aliases == [f"alf {tag}"]
    assert any(
        f.relation == "borders" and f.target == b and str(f) == f"Alpha {tag} —borders→ Beta {tag}"
        for f in view.relations
    )
    assert {doc_id, img_id} <= set(view.items)
    assert client.get_entity(b).entity.props == {"n": 1}
    assert client.get_document(doc_id).text == f"The {word} lives here."
    image = client.get_image(img_id)
    assert image.caption == f"a red dot {word}" and image.media_type == "image/png" and image.depicts == [a]
    assert client.image_content(img_id) == PNG
    assert [e.id for e in client.neighbors(a, relation="borders", direction="out").entities] == [b]
    path = client.path(a, b)
    assert path.found and path.from_ == a and [(s.source, s.target) for s in path.steps] == [(a, b)]
    assert doc_id in [h.id for h in client.search("vector", word, k=5).results]

    assert client.delete_document(doc_id).deleted == doc_id
    assert client.delete_image(img_id).deleted == img_id
    assert client.delete_entity(a).deleted == a
    assert client.delete_entity(b).deleted == b
    for read in (lambda: client.get_document(doc_id), lambda: client.get_image(img_id), lambda: client.get_entity(a)):
        with pytest.raises(BraidError) as raised:
            read()
        assert raised.value.status == 404 and raised.value.code == "not_found"
    assert doc_id not in [h.id for h in client.search("vector", word, k=5).results]


def test_writes_need_a_record(client: BraidClient) -> None:
    with pytest.raises(ValueError, match="at least one record"):
        client.add_documents([])


def test_graph_neighbors_and_path(client: BraidClient) -> None:
    near = client.neighbors("country:DEU", depth=1, relation="borders")
    assert near.center == "country:DEU"
    assert {"France", "Poland", "Austria"} <= {e.name for e in near.entities}
    assert all(f.relation == "borders" for f in near.facts)
    assert len(client.neighbors("country:DEU", depth=2, limit=5).entities) == 5
    assert client.path("country:KEN", "country:ETH", relations=["borders"]).found


def test_schema_describes_the_graphs_types(client: BraidClient) -> None:
    schema = client.schema()
    counts = [r.count for r in schema.relations]
    assert counts and counts == sorted(counts, reverse=True)
    # The atlas's own types, with the words its schema.jsonl gives them.
    borders = schema.relation("borders")
    assert borders is not None and borders.count > 100 and borders.symmetric == 1.0
    assert (borders.source_types[0], borders.target_types[0]) == ("country", "country")
    assert borders.label == "borders" and "neighbours" in borders.aliases
    country = schema.entity_type("country")
    assert country is not None and country.count > 100 and country.plural == "countries"
    assert schema.relation("no_such_relation") is None and schema.entity_type("no_such_type") is None


def test_add_schema_words_the_types_of_the_graph(client: BraidClient) -> None:
    tag = uuid.uuid4().hex[:10]
    a, b = f"test:{tag}:a", f"test:{tag}:b"
    gadget, plugs_into = f"gadget_{tag}", f"plugs_into_{tag}"
    client.add_entities(
        [Entity(id=a, name=f"Widget {tag}", type=gadget), Entity(id=b, name=f"Socket {tag}", type=gadget)]
    )
    client.add_relations(Relation(source=a, relation=plugs_into, target=b))
    try:
        bare = client.schema().relation(plugs_into)
        assert bare is not None and bare.count == 1 and (bare.label, bare.inverse, bare.aliases) == (None, None, [])
        assert bare.source_types == bare.target_types == [gadget]

        written = client.add_schema(
            [
                RelationTypeRecord(relation_type=plugs_into, label="plugs into", inverse="takes", aliases=["fits"]),
                {"entity_type": gadget, "label": "gadget", "plural": "gadgetry", "aliases": ["gizmo"]},
            ]
        )
        assert written.written == 2 and written.ids == [f"relation:{plugs_into}", f"entity_type:{gadget}"]
        schema = client.schema()
        worded, kind = schema.relation(plugs_into), schema.entity_type(gadget)
        assert worded is not None and (worded.label, worded.inverse, worded.aliases) == (
            "plugs into",
            "takes",
            ["fits"],
        )
        assert kind is not None and (kind.label, kind.plural, kind.aliases, kind.count) == (
            "gadget",
            "gadgetry",
            ["gizmo"],
            2,
        )

        # One record replaces a type's words: what it leaves out is cleared.
        assert client.add_schema(EntityTypeRecord(entity_type=gadget, plural="gadgets")).ids == [
            f"entity_type:{gadget}"
        ]
        kind = client.schema().entity_type(gadget)
        assert kind is not None and (kind.label, kind.plural, kind.aliases) == (None, "gadgets", [])

        # A type the graph lacks is refused, naming the field, and the write is all or none.
        with pytest.raises(BraidError) as raised:
            client.add_schema([{"entity_type": gadget, "plural": "gizmos"}, {"relation_type": f"unplugs_{tag}"}])
        error = raised.value
        assert (error.status, error.code, error.field) == (400, "invalid_request", "items[1].relation_type")
        assert f"unplugs_{tag}" in error.message
        kind = client.schema().entity_type(gadget)
        assert kind is not None and kind.plural == "gadgets"
        with pytest.raises(BraidError) as raised:
            client.add_schema(RelationTypeRecord(relation_type=plugs_into, label="  "))
        assert (raised.value.code, raised.value.field) == ("invalid_request", "items[0].label")
    finally:
        client.delete_entity(a)
        client.delete_entity(b)
    assert client.schema().relation(plugs_into) is None


def test_tools_are_listed_and_callable(client: BraidClient) -> None:
    tools = client.tools()
    names = {t.function.name for t in tools}
    assert {"knowledge_query", "graph_neighbors", "graph_path", "vector_search", "add_document"} <= names
    assert all(t.type == "function" and t.function.parameters.get("type") == "object" for t in tools)
    result = client.call_tool("graph_neighbors", {"id": "country:KEN", "relation": "borders"})
    assert "Ethiopia" in {e["name"] for e in result["entities"]}
    with pytest.raises(BraidError) as raised:
        client.call_tool("no_such_tool", {})
    assert raised.value.status == 404
    with pytest.raises(BraidError) as raised:
        client.call_tool("graph_neighbors", {"id": "country:KEN", "depth": 9})
    assert raised.value.status == 400 and raised.value.field == "depth"


def test_metrics_and_openapi(client: BraidClient) -> None:
    assert "braid_" in client.metrics()
    doc = client.openapi()
    assert doc["openapi"].startswith("3.1") and "/v1/query" in doc["paths"]


def test_ids_are_escaped_in_paths(client: BraidClient) -> None:
    # An id that looks like a path stays one path segment: an unknown entity, not another endpoint.
    with pytest.raises(BraidError) as raised:
        client.get_entity("../status")
    assert raised.value.status == 404 and "../status" in raised.value.message
    with pytest.raises(ValueError, match="must not be empty"):
        client.get_entity("")


def test_a_newer_server_with_more_fields_does_not_break_the_models(client: BraidClient) -> None:
    raw = client._http.post("/v1/query", json={"query": "Which countries border France?", "k": 2}).json()
    raw["verdict"] = {"kind": "entities", "entities": ["country:DEU"]}
    raw["plan"]["router"] = {"weights": "fitted"}
    raw["results"][0]["new_hit_field"] = [1, 2]
    raw["sources"][0]["cached"] = True
    raw["results"][0]["kind"] = "table"  # a kind this client has never heard of
    answer = QueryResponse.model_validate(raw)
    assert answer.model_extra == {"verdict": {"kind": "entities", "entities": ["country:DEU"]}}
    assert answer.verdict["entities"] == ["country:DEU"]  # type: ignore[attr-defined]
    assert answer.plan.model_extra == {"router": {"weights": "fitted"}}
    assert isinstance(answer.results[0], FusedHit) and answer.results[0].kind == "table"
    assert answer.results[0].model_extra == {"new_hit_field": [1, 2]}
    assert answer.sources[0].model_extra == {"cached": True}
    status = client._http.get("/v1/status").json()
    status["shards"] = {"count": 2, "healthy": None}
    status["router"]["trained_at"] = "2031-01-01"
    parsed = Status.model_validate(status)
    assert parsed.model_extra == {"shards": {"count": 2, "healthy": None}}
    assert parsed.router.model_extra == {"trained_at": "2031-01-01"}
