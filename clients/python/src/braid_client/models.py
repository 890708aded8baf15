"""Typed request and response models of Braid's REST API.

Written by hand to read well, and checked against the server's ``/openapi.json`` by the
package's drift test (``tests/test_drift.py``): every field of the document is here and
nothing here is missing from the document, with compatible types and required-ness.

Forward compatibility: every model keeps fields it does not know (``extra="allow"``), so a
newer server that adds fields never breaks an older client; they are reachable as
attributes and in ``model.model_extra``. Enumerations in *responses* (a hit's ``kind``, a
source's ``status``, a route's name) are plain ``str`` for the same reason; the values the
server sends today are listed in each field's docstring. Enumerations in *requests* are
``Literal`` types, so a type checker catches a misspelt route before the server does.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Answer",
    "Counts",
    "Deleted",
    "DocumentRecord",
    "EmbedderStatus",
    "Entity",
    "EntityType",
    "EntityTypeRecord",
    "EntityView",
    "ErrorBody",
    "ErrorDetail",
    "Escalation",
    "Fact",
    "Filters",
    "FusedHit",
    "FusionMethod",
    "FusionTrace",
    "GraphPath",
    "Health",
    "Hit",
    "ImageInput",
    "ImageRecord",
    "ImageUpload",
    "KbSchema",
    "LinkedEntity",
    "Modality",
    "NeighborDirection",
    "NeighborEntity",
    "Neighborhood",
    "QueryFeatures",
    "QueryRequest",
    "QueryResponse",
    "Relation",
    "RelationCue",
    "RelationType",
    "RelationTypeRecord",
    "Route",
    "RouteDecision",
    "RoutePlan",
    "RouteRequest",
    "RouteResponse",
    "RouteStatus",
    "RouterStatus",
    "SchemaRecord",
    "SearchRequest",
    "SearchResponse",
    "SourceRank",
    "SourceReport",
    "Status",
    "Tool",
    "ToolFunction",
    "Trace",
    "WriteSummary",
]

Route = Literal["graph", "vector", "web"]
"""A knowledge source Braid can route a query to."""

Modality = Literal["text", "image"]
"""The medium of a hit."""

FusionMethod = Literal["rrf", "relative_score", "dbsf"]
"""How the results of several routes are fused."""

NeighborDirection = Literal["out", "in", "both"]
"""Which edges a graph traversal follows."""


class BraidModel(BaseModel):
    """Base of every model: keeps unknown fields, documents fields from their docstrings."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, use_attribute_docstrings=True)


# ----- requests -----


class Filters(BraidModel):
    """Narrows every route that can honour it."""

    entities: list[str] | None = None
    """Only items linked to any of these entity ids."""
    modality: Modality | None = None
    """Only text or only image results."""
    source: str | None = None
    """Only items from this source."""
    tags: list[str] | None = None
    """Only items carrying any of these tags."""
    type: str | None = None
    """Only entities of this type (e.g. ``country``)."""


class ImageInput(BraidModel):
    """An image attached to a query: a URL or base64-encoded bytes."""

    base64: str | None = None
    """The image bytes, base64-encoded."""
    url: str | None = None
    """An http(s) URL of the image."""


class QueryRequest(BraidModel):
    """The body of ``POST /v1/query``. Fields left ``None`` take the server's default."""

    query: str
    """The question or search text."""
    k: int | None = None
    """How many results to return (1–1000; server default 10)."""
    routes: list[Route] | None = None
    """Force these routes instead of letting the policy choose."""
    image: ImageInput | None = None
    """An image to search by (needs a multimodal embedder)."""
    filters: Filters | None = None
    """Filters every route honours where it can."""
    explain: bool | None = None
    """Include the full decision trace (``QueryResponse.trace``)."""
    fusion: FusionMethod | None = None
    """Fusion method (server default: weighted reciprocal rank fusion)."""
    diversity: float | None = None
    """Trade relevance for variety, 0–1 (MMR over the hits' words)."""
    interleave: bool | None = None
    """Alternate text and image results, keeping each modality's own order."""
    ef: int | None = None
    """HNSW search width for the vector route, 1–4096."""


class RouteRequest(BraidModel):
    """The body of ``POST /v1/route``."""

    query: str
    """The query to plan."""


class SearchRequest(BraidModel):
    """The body of ``POST /v1/search/{route}``."""

    query: str
    """The query text."""
    k: int | None = None
    """How many hits (1–1000; server default 10)."""
    filters: Filters | None = None
    """Filters."""


class Entity(BraidModel):
    """A node of the graph, in the import shape (``POST /v1/entities``)."""

    id: str
    """Stable identifier, e.g. ``country:FRA``."""
    name: str
    """Display name, e.g. ``France``; linked in queries."""
    type: str
    """Entity type, e.g. ``country``, ``city``, ``concept``."""
    aliases: list[str] = Field(default_factory=list)
    """Other names the entity is known by; linked in queries too."""
    description: str = ""
    """A sentence or two describing the entity."""
    props: dict[str, Any] = Field(default_factory=dict)
    """Anything else (population, coordinates, codes...)."""


class Relation(BraidModel):
    """A typed, directed edge ``source -relation-> target`` (``POST /v1/relations``)."""

    source: str
    """Id of the source entity."""
    relation: str
    """Relation type, e.g. ``borders``, ``capital``, ``is_a``."""
    target: str
    """Id of the target entity."""
    props: dict[str, Any] = Field(default_factory=dict)
    """Free-form properties of the edge."""


class DocumentRecord(BraidModel):
    """A text document (``POST /v1/documents``, ``GET /v1/documents/{id}``)."""

    id: str
    """Unique id, e.g. ``doc:enwiki:koala:1``."""
    text: str
    """Body text."""
    title: str = ""
    """Title."""
    entities: list[str] = Field(default_factory=list)
    """Ids of entities the document is about."""
    source: str | None = None
    """Where it came from."""
    license: str | None = None
    """Its licence."""


class ImageUpload(BraidModel):
    """An image to store (``POST /v1/images``): base64 bytes or a public URL, and its words."""

    id: str
    """Unique id, e.g. ``img:stamp:koala``."""
    base64: str | None = None
    """The image bytes, base64-encoded (PNG, JPEG, GIF, WebP or SVG)."""
    url: str | None = None
    """A public http(s) URL of the image (recorded, not fetched)."""
    caption: str = ""
    """What the image shows, in words."""
    depicts: list[str] = Field(default_factory=list)
    """Ids of entities it depicts."""
    tags: list[str] = Field(default_factory=list)
    """Free tags."""
    source: str | None = None
    """Where it came from."""
    license: str | None = None
    """Its licence."""


class RelationTypeRecord(BraidModel):
    """Words for a relation type (``POST /v1/schema``), so questions can name it the way people do.

    ``RelationTypeRecord(relation_type="depends_on", label="depends on", inverse="required by",
    aliases=["requires"])``: the label and aliases read from the relation's source ("X depends on
    Y"), the inverse from its target ("Y required by X"). The type must be one the graph has.
    """

    relation_type: str
    """The relation type, as the relations name it (e.g. ``directed_by``)."""
    label: str | None = None
    """How a person would say it (e.g. ``directed by``)."""
    inverse: str | None = None
    """How it reads from the target (e.g. ``directed`` for ``directed_by``)."""
    aliases: list[str] = Field(default_factory=list)
    """Other ways to say it, read like the label (e.g. ``made by``, ``filmmaker``)."""


class EntityTypeRecord(BraidModel):
    """Words for an entity type (``POST /v1/schema``).

    ``EntityTypeRecord(entity_type="package", label="package", plural="packages",
    aliases=["library"])``. The type must be one the graph has.
    """

    entity_type: str
    """The entity type, as the entities name it (e.g. ``virtual_package``)."""
    label: str | None = None
    """How a person would say it (e.g. ``virtual package``)."""
    plural: str | None = None
    """Its plural, when it is not regular."""
    aliases: list[str] = Field(default_factory=list)
    """Other words for it (e.g. ``library``, ``tool``)."""


SchemaRecord = RelationTypeRecord | EntityTypeRecord
"""A schema record: words for a relation type or for an entity type."""


# ----- responses: service -----


class Health(BraidModel):
    """The answer of ``GET /healthz``."""

    status: str
    """``ok``."""


class Counts(BraidModel):
    """Record counts in the store of record."""

    entities: int
    relations: int
    documents: int
    images: int


class EmbedderStatus(BraidModel):
    """The active embedder."""

    name: str
    """Its name, e.g. ``hash-384`` or ``all-MiniLM-L6-v2``."""
    dimension: int
    """Vector dimension."""
    multimodal: bool
    """Whether it embeds images by their pixels (query by image needs this)."""
    reason: str | None = None
    """Why it is the active one (chosen by a setting, found weights, or the fallback and how
    to get a semantic model)."""


class RouteStatus(BraidModel):
    """Whether a route can run."""

    route: str
    """``graph``, ``vector`` or ``web``."""
    available: bool
    """Whether it can run."""
    reason: str | None = None
    """Why not, when it cannot."""


class RouterStatus(BraidModel):
    """Which routing weights the server uses, and how they were made."""

    weights: str
    """``shipped`` (fitted on the team's suite of domains), ``fitted`` (to this knowledge base, by
    ``braid router fit --auto``) or ``configured`` (a weights file named in the settings)."""
    fitted_on: str
    """How the weights were made: the data and settings of the fit."""
    exemplars: list[int]
    """Exemplar queries per route: ``[graph, vector, web]``."""


class GraphCounts(BraidModel):
    """Entities and relations as the graph backend counts them."""

    entities: int
    """Entities."""
    relations: int
    """Relations."""


class GraphStatus(BraidModel):
    """The graph behind the graph route: in the server's process, or on a graph server."""

    backend: str
    """``embedded`` or the graph server's engine (``falkordb``)."""
    mode: str
    """``embedded`` (in the process, rebuilt from the store of record) or ``managed`` (on a
    server, created and written by Braid)."""
    url: str | None = None
    """The graph server's address (without credentials)."""
    graph: str | None = None
    """The graph's name on the server."""
    linking: str | None = None
    """How linking finds candidate names on a server."""
    counts: GraphCounts | None = None
    """Entities and relations as the backend counts them; absent when it cannot answer."""
    error: str | None = None
    """Why the backend could not be asked."""
    missed_writes: int
    """Entity and relation writes the graph server missed since start (the next start writes
    them)."""


class Status(BraidModel):
    """The answer of ``GET /v1/status``."""

    version: str
    """Braid's version."""
    counts: Counts
    """Records in the store of record."""
    indexed_items: int
    """Items in the vector index (documents + images)."""
    embedder: EmbedderStatus
    """The active embedder."""
    vector_backend: str
    """The vector backend, e.g. ``usearch`` or ``milvus``."""
    vector_apply_failures: int
    """Vector-index updates that failed after the store of record had committed."""
    vector_changes_since_checkpoint: int
    """Vector-index changes not yet in a checkpoint."""
    read_only: bool
    """True when the server is a read-only view: writes answer 409 ``read_only``."""
    routes: list[RouteStatus]
    """Each route, whether it is available and why not."""
    data_dir: str
    """The server's data directory."""
    router: RouterStatus
    """Which routing weights are in use and how they were made."""
    graph: GraphStatus
    """The graph behind the graph route."""

    def route_available(self, route: str) -> bool:
        """Whether ``route`` is listed as available."""
        return any(r.route == route and r.available for r in self.routes)


# ----- responses: routing and results -----


class RouteDecision(BraidModel):
    """The plan's decision for one route."""

    route: str
    """``graph``, ``vector`` or ``web``."""
    score: float
    """The policy's probability that this route answers the query, in [0, 1]."""
    selected: bool
    """Whether the route is executed."""
    available: bool
    """Whether the route can run at all (a web route needs a provider)."""
    reasons: list[str]
    """Why, in words a person can read."""


class RoutePlan(BraidModel):
    """The routing plan of one query: every route, highest score first."""

    routes: list[RouteDecision]
    """All routes, highest score first."""
    primary: str | None = None
    """The highest-scoring route that is available."""

    @property
    def selected(self) -> list[str]:
        """The routes that run, in plan order."""
        return [r.route for r in self.routes if r.selected]

    def decision(self, route: str) -> RouteDecision | None:
        """The decision for ``route``, if the plan has one."""
        return next((r for r in self.routes if r.route == route), None)


class RouteResponse(BraidModel):
    """The answer of ``POST /v1/route``."""

    plan: RoutePlan
    """The routing plan (nothing was executed)."""


class SourceRank(BraidModel):
    """How one source ranked a fused hit."""

    route: str
    """The source."""
    rank: int
    """1-based rank within that source."""
    score: float
    """The source's raw score."""
    contribution: float
    """What this source added to the fused score."""


class _HitFields(BraidModel):
    id: str
    """Stable id: an entity, document or image id, or a canonical URL for web hits."""
    kind: str
    """What the hit is: ``entity``, ``document``, ``image`` or ``web``."""
    modality: str
    """Its medium: ``text`` or ``image``."""
    title: str
    """A display title."""
    snippet: str = ""
    """A short text to show (for documents, the passage that matched)."""
    score: float
    """Higher is better."""
    uri: str | None = None
    """Image path or web URL, when there is one."""
    thumbnail: str | None = None
    """A URL path the image bytes can be fetched from (stored images only)."""
    facts: list[str] = Field(default_factory=list)
    """Supporting facts as readable triples (``France —borders→ Germany``), for graph answers."""


class Hit(_HitFields):
    """One ranked result from one source (``POST /v1/search/{route}``)."""


class FusedHit(_HitFields):
    """A result after fusion: the hit plus the provenance of every source that returned it."""

    sources: list[SourceRank]
    """Every source that returned this hit, best first."""

    @property
    def routes(self) -> list[str]:
        """The routes that found this hit, best first."""
        return [s.route for s in self.sources]

    @property
    def ranks(self) -> dict[str, int]:
        """Each finding route's 1-based rank of this hit."""
        return {s.route: s.rank for s in self.sources}


class StageReport(BraidModel):
    """How an optional stage of a route (a reranker, say) fared on a query."""

    stage: str
    """The stage, e.g. ``rerank``."""
    status: str
    """``ok`` when it ran, ``timeout`` or ``error`` when its result was dropped."""
    took_ms: float
    """Wall time spent on it, in milliseconds."""
    by: str | None = None
    """What ran it (e.g. the reranker's name), when there is one."""
    error: str | None = None
    """The error, for ``error`` and ``timeout``."""


class SourceReport(BraidModel):
    """How one route fared on a query."""

    route: str
    """The route."""
    status: str
    """``ok``, ``timeout``, ``error`` or ``skipped``."""
    took_ms: float
    """Wall time spent on it, in milliseconds."""
    hits: int
    """How many hits it returned."""
    total: int | None = None
    """How many matches it found before keeping its best, when it says (e.g. the graph's
    answers to "which countries border France"); ``None`` otherwise."""
    error: str | None = None
    """The error, for ``error`` and ``timeout``."""
    stages: list[StageReport] = Field(default_factory=list)
    """The route's optional stages (a reranker), in the order they ran; empty when none."""


class LinkedEntity(BraidModel):
    """An entity mention in the query, linked to a graph entity."""

    id: str
    name: str
    type: str
    mention: str
    """The text of the query that was linked."""
    confidence: float
    """Linking confidence in (0, 1]."""
    method: str
    """How it was linked (``exact``, ``alias``, ``fuzzy``)."""


class RelationCue(BraidModel):
    """Words of the query that name a relation of the knowledge base."""

    cue: str
    """The words found, e.g. ``border`` or ``director``."""
    relation: str
    """The relation type they name, e.g. ``borders``; ``path`` for "how are A and B connected"."""
    direction: str
    """Which way to follow it: ``out``, ``in`` or ``both``."""
    confidence: float = 1.0
    """How much of the relation the words name: 1 for its whole name, label or alias."""
    why: str | None = None
    """How the direction was decided, when the server says."""
    related: int = 0
    """Relations of this type the linked entities have in that direction (0: none, or no
    entity linked)."""


class QueryFeatures(BraidModel):
    """What introspection found in a query (part of the trace)."""

    query: str
    normalized: str
    tokens: int
    entities: list[LinkedEntity]
    relations: list[RelationCue]
    types: list[str] = Field(default_factory=list)
    """Entity types of the knowledge base the query names outside entity mentions ("which
    films…"): what the answers should be."""
    other_words: int = 0
    """Content words that are neither an entity mention nor a relation or type word of the
    knowledge base."""
    freshness: list[str]
    visual: list[str]
    explanatory: list[str]
    has_image: bool
    shape: str
    """``wh``, ``yes_no`` or ``keywords``."""
    lead: str | None = None
    unlinked_names: list[str]
    office_roles: list[str] = Field(default_factory=list)
    present_tense: bool = False
    past_tense: bool = False
    describes_unnamed: bool = False
    numbers: list[str] = Field(default_factory=list)
    exemplar_similarity: list[float] | None = None
    """Standardised similarity to each route's exemplar queries (graph, vector, web)."""


class Escalation(BraidModel):
    """A corrective escalation to one more route after weak evidence."""

    route: str
    reason: str


class FusionTrace(BraidModel):
    """The fusion arithmetic of a query."""

    method: str
    """``rrf``, ``relative_score`` or ``dbsf``."""
    rrf_k: float
    weights: list[tuple[str, float]]
    """The weight of each fused route."""
    results: list[tuple[str, list[SourceRank]]]
    """Per result id: each source's rank, raw score and contribution."""
    interleaved: bool = False
    answers_first: int = 0
    diversity: float | None = None


class Trace(BraidModel):
    """The full decision record of a query (``explain=True``)."""

    features: QueryFeatures
    feature_vector: list[tuple[str, float]]
    """The policy's numeric inputs, by name."""
    probabilities: list[tuple[str, float]]
    """Probability per route."""
    select_threshold: float
    web_threshold: float
    escalation: Escalation | None = None
    fusion: FusionTrace


class Answer(BraidModel):
    """The exact answer of a question compiled into a graph plan (issue 23)."""

    kind: str
    """``entities``, ``count``, ``value`` or ``boolean``."""
    entities: list[str] = Field(default_factory=list)
    """The answer entities' ids, best first."""
    count: int | None = None
    """The number of entities, for a count (and the size of a set answer before the cut)."""
    value: Any = None
    """The value, for a value (a number) or a boolean answer."""
    plan: str
    """The plan, as a line: ``borders(Kenya) → uses_currency``."""
    evidence: list[str] = Field(default_factory=list)
    """Facts that support the answer, as lines."""
    took_ms: float
    """Parse and execution time, in milliseconds."""


class QueryResponse(BraidModel):
    """The answer of ``POST /v1/query``: fused results, the plan and per-source reports."""

    query: str
    """The query as asked."""
    plan: RoutePlan
    """The routing plan (after any escalation)."""
    results: list[FusedHit]
    """Fused results, best first."""
    sources: list[SourceReport]
    """One report per route."""
    took_ms: float
    """Total time, in milliseconds."""
    trace: Trace | None = None
    """The decision trace, when ``explain`` was asked for."""
    answer: Answer | None = None
    """The exact answer, when the question compiled into a graph plan that found one."""


class SearchResponse(BraidModel):
    """The answer of ``POST /v1/search/{route}``: that one source's ranked hits."""

    results: list[Hit]


# ----- responses: records and the graph -----


class WriteSummary(BraidModel):
    """What a write did."""

    ids: list[str]
    """Ids written."""
    written: int
    """How many records were written."""
    unchanged: int
    """How many were already present unchanged (duplicate relations)."""


class Deleted(BraidModel):
    """The answer of a ``DELETE``."""

    deleted: str
    """The id removed."""


class Fact(BraidModel):
    """A relation resolved to names, ready to show or cite."""

    source: str
    source_name: str
    relation: str
    target: str
    target_name: str

    def __str__(self) -> str:
        return f"{self.source_name} —{self.relation}→ {self.target_name}"


class EntityView(BraidModel):
    """An entity with its relations (``GET /v1/entities/{id}``)."""

    entity: Entity
    relations: list[Fact]
    """Its relations in both directions."""
    items: list[str]
    """Ids of documents and images linked to it."""


class ImageRecord(BraidModel):
    """A stored image record (``GET /v1/images/{id}``)."""

    id: str
    caption: str
    depicts: list[str]
    tags: list[str]
    path: str | None = None
    """A file path relative to the imported JSON Lines file."""
    url: str | None = None
    """A public URL of the image (recorded, not fetched)."""
    source: str | None = None
    license: str | None = None
    media_type: str | None = None
    """The media type of the stored bytes."""
    indexed_text: str = ""
    """The text the image is indexed by: caption, tags and the names of what it depicts."""


class NeighborEntity(BraidModel):
    """An entity reached by a traversal."""

    id: str
    name: str
    type: str
    depth: int
    """Hops from the centre."""


class Neighborhood(BraidModel):
    """The answer of ``GET /v1/entities/{id}/neighbors``."""

    center: str
    entities: list[NeighborEntity]
    """Entities reached, breadth-first; the centre is not included."""
    facts: list[Fact]
    """The relations traversed."""


class GraphPath(BraidModel):
    """The answer of ``GET /v1/graph/path``."""

    from_: str = Field(alias="from")
    to: str
    found: bool
    """False when there is no path."""
    steps: list[Fact]


class RelationType(BraidModel):
    """A relation type of the knowledge base, as the data shows it, with its words."""

    name: str
    """Its name in the data, e.g. ``borders`` or ``directed_by``."""
    label: str | None = None
    """How a person would say it, e.g. ``directed by`` (from a schema record)."""
    inverse: str | None = None
    """How it reads from its target, e.g. ``directed`` for ``directed_by`` (from a schema record)."""
    aliases: list[str] = Field(default_factory=list)
    """Other ways to say it (from a schema record)."""
    count: int
    """Relations of this type."""
    source_types: list[str] = Field(default_factory=list)
    """Entity types of its sources, most frequent first."""
    target_types: list[str] = Field(default_factory=list)
    """Entity types of its targets, most frequent first."""
    symmetric: float = 0.0
    """Share of its relations whose reverse exists too (1 for ``borders``)."""


class EntityType(BraidModel):
    """An entity type of the knowledge base, with its words."""

    name: str
    """Its name in the data, e.g. ``country``."""
    label: str | None = None
    """How a person would say it (from a schema record)."""
    plural: str | None = None
    """Its plural, when it is not regular (from a schema record)."""
    aliases: list[str] = Field(default_factory=list)
    """Other words for it (from a schema record)."""
    count: int
    """Entities of this type."""


class KbSchema(BraidModel):
    """The answer of ``GET /v1/schema``: the types the router reads questions with."""

    relations: list[RelationType]
    """The relation types, most frequent first."""
    entity_types: list[EntityType]
    """The entity types, most frequent first."""

    def relation(self, name: str) -> RelationType | None:
        """The relation type called ``name``, if the knowledge base has it."""
        return next((r for r in self.relations if r.name == name), None)

    def entity_type(self, name: str) -> EntityType | None:
        """The entity type called ``name``, if the knowledge base has it."""
        return next((t for t in self.entity_types if t.name == name), None)


class ToolFunction(BraidModel):
    """An OpenAI-style function definition."""

    name: str
    description: str
    parameters: dict[str, Any]
    """The JSON Schema of the arguments."""


class Tool(BraidModel):
    """One entry of ``GET /v1/tools``."""

    type: str
    """``function``."""
    function: ToolFunction


class ErrorDetail(BraidModel):
    """The ``error`` object of an error answer."""

    code: str
    message: str
    field: str | None = None


class ErrorBody(BraidModel):
    """An error answer: ``{"error": {"code", "message", "field"}}``."""

    error: ErrorDetail
