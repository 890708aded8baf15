//! The in-memory store: entities as nodes and typed relations as edges of a petgraph
//! `StableDiGraph` (indices stay valid across removals), an id → node map, and the
//! provenance of items (documents, images) that mention entities.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use petgraph::Direction as PetDirection;
use petgraph::stable_graph::{EdgeIndex, NodeIndex, StableDiGraph};
use petgraph::visit::{EdgeRef, IntoEdgeReferences};

use crate::GraphError;
use crate::adjacency::Adjacency;
use crate::linker::LinkState;
use crate::model::{
    Direction, Entity, Fact, ImportReport, NeighborEntity, NeighborQuery, Neighborhood, Props, Relation,
};
use crate::schema::SchemaStats;

/// Interned relation type: edges store a small number instead of a string.
pub(crate) type RelationTypeId = u32;

/// The hasher of the maps every import and query goes through (ids, relation types,
/// triples): foldhash, several times faster than SipHash on short keys and still seeded
/// per process, so keys chosen by a client cannot be made to collide.
type FastHash = foldhash::fast::RandomState;

/// What an edge carries.
#[derive(Debug, Clone)]
pub(crate) struct EdgeData {
    pub relation: RelationTypeId,
    pub props: Props,
}

/// Deepest neighbourhood [`Graph::neighbors`] explores.
pub const MAX_NEIGHBOR_DEPTH: usize = 3;

/// The entity–relationship graph. See the crate documentation for an example.
#[derive(Debug, Default)]
pub struct Graph {
    pub(crate) graph: StableDiGraph<Entity, EdgeData>,
    pub(crate) ids: HashMap<String, NodeIndex, FastHash>,
    relation_names: Vec<String>,
    relation_ids: HashMap<String, RelationTypeId, FastHash>,
    /// (source, relation, target) of every edge, so duplicates are refused in O(1).
    triples: HashSet<(NodeIndex, RelationTypeId, NodeIndex), FastHash>,
    item_entities: HashMap<String, Vec<NodeIndex>>,
    pub(crate) entity_items: HashMap<NodeIndex, BTreeSet<String>>,
    /// Entity-linking index, built on first use after a write, shared by readers.
    pub(crate) link_index: RwLock<LinkState>,
    /// Compact adjacency snapshot, built on first use after a write that changed nodes or
    /// edges (see [`crate::adjacency`]).
    adjacency: OnceLock<Adjacency>,
    /// The schema read from the data (see [`crate::schema`]), built on first use after a write.
    pub(crate) schema: OnceLock<Arc<SchemaStats>>,
    /// Grows with every write, so derived views (a router's lexicon) know when to rebuild.
    version: u64,
}

impl Clone for Graph {
    fn clone(&self) -> Self {
        Self {
            graph: self.graph.clone(),
            ids: self.ids.clone(),
            relation_names: self.relation_names.clone(),
            relation_ids: self.relation_ids.clone(),
            triples: self.triples.clone(),
            item_entities: self.item_entities.clone(),
            entity_items: self.entity_items.clone(),
            link_index: RwLock::new(LinkState::Missing),
            adjacency: OnceLock::new(),
            schema: OnceLock::new(),
            version: self.version,
        }
    }
}

impl Graph {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entities.
    pub fn entity_count(&self) -> usize {
        self.graph.node_count()
    }

    /// Number of relations (edges).
    pub fn relation_count(&self) -> usize {
        self.graph.edge_count()
    }

    /// All entities, in no particular order.
    pub fn entities(&self) -> impl Iterator<Item = &Entity> + '_ {
        self.graph.node_weights()
    }

    /// All relations, in no particular order.
    pub fn relations(&self) -> impl Iterator<Item = Relation> + '_ {
        (&self.graph).edge_references().map(|edge| Relation {
            source: self.graph[edge.source()].id.clone(),
            relation: self.relation_name(edge.weight().relation).to_string(),
            target: self.graph[edge.target()].id.clone(),
            props: edge.weight().props.clone(),
        })
    }

    /// The relation types in use (or once used), sorted.
    pub fn relation_types(&self) -> Vec<String> {
        let mut names = self.relation_names.clone();
        names.sort();
        names
    }

    /// The entity with this id.
    pub fn entity(&self, id: &str) -> Option<&Entity> {
        self.ids.get(id).map(|&node| &self.graph[node])
    }

    /// Whether an entity with this id exists.
    pub fn contains(&self, id: &str) -> bool {
        self.ids.contains_key(id)
    }

    /// A number that grows with every write: equal numbers mean the same graph.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// How many relations of type `relation` leave (`Out`), enter (`In`) or touch (`Both`)
    /// the entity; 0 for unknown ids or types.
    pub fn count_related(&self, id: &str, relation: &str, direction: Direction) -> usize {
        let (Some(&node), Some(relation)) = (self.ids.get(id), self.relation_id(relation)) else {
            return 0;
        };
        self.incident_edges(node, direction).filter(|(_, _, r)| *r == relation).count()
    }

    /// Number of relations touching the entity (in and out), 0 for unknown ids.
    pub fn degree(&self, id: &str) -> usize {
        self.ids.get(id).map_or(0, |&node| self.node_degree(node))
    }

    /// Builds the compact adjacency snapshot that PageRank and path searches walk now,
    /// rather than on the first such query after a write (e.g. after a bulk import).
    /// The snapshot is dropped by the next write that adds or removes an entity or a
    /// relation, and rebuilt on demand.
    pub fn prepare_adjacency(&self) {
        self.adjacency();
    }

    /// Inserts an entity, or replaces the one with the same id (its relations are kept).
    pub fn upsert_entity(&mut self, entity: Entity) -> Result<(), GraphError> {
        validate_entity(&entity)?;
        self.invalidate_link_index();
        // Its type may change, and the schema counts types.
        self.invalidate_schema();
        match self.ids.get(&entity.id) {
            Some(&node) => self.graph[node] = entity,
            None => {
                self.invalidate_adjacency();
                let id = entity.id.clone();
                let node = self.graph.add_node(entity);
                self.ids.insert(id, node);
            }
        }
        Ok(())
    }

    /// Adds `source -relation-> target`. Returns `false` when that exact triple already
    /// exists (its props are then left as they were).
    pub fn add_relation(&mut self, relation: Relation) -> Result<bool, GraphError> {
        if relation.relation.trim().is_empty() {
            return Err(GraphError::invalid("relation", "relation type is empty"));
        }
        let source = self.node(&relation.source)?;
        let target = self.node(&relation.target)?;
        let relation_type = self.intern_relation(&relation.relation);
        if !self.triples.insert((source, relation_type, target)) {
            return Ok(false);
        }
        self.graph.add_edge(source, target, EdgeData { relation: relation_type, props: relation.props });
        self.invalidate_adjacency();
        // Degrees feed the linker's prominence prior; names are unchanged.
        self.link_index_degrees_changed();
        Ok(true)
    }

    /// The relation `source -relation-> target` with its props, if the graph has it.
    pub fn relation(&self, source: &str, relation: &str, target: &str) -> Option<Relation> {
        let (&from, &to, &relation_type) =
            (self.ids.get(source)?, self.ids.get(target)?, self.relation_ids.get(relation)?);
        let edge = self.graph.edges_connecting(from, to).find(|edge| edge.weight().relation == relation_type)?;
        Some(Relation {
            source: source.to_string(),
            relation: relation.to_string(),
            target: target.to_string(),
            props: edge.weight().props.clone(),
        })
    }

    /// Removes `source -relation-> target`; `false` when there was no such relation.
    pub fn remove_relation(&mut self, source: &str, relation: &str, target: &str) -> bool {
        let (Some(&from), Some(&to), Some(&relation_type)) =
            (self.ids.get(source), self.ids.get(target), self.relation_ids.get(relation))
        else {
            return false;
        };
        if !self.triples.remove(&(from, relation_type, to)) {
            return false;
        }
        let edge = self
            .graph
            .edges_connecting(from, to)
            .find(|edge| edge.weight().relation == relation_type)
            .map(|edge| edge.id());
        if let Some(edge) = edge {
            self.graph.remove_edge(edge);
        }
        self.invalidate_adjacency();
        self.link_index_degrees_changed();
        true
    }

    /// Removes an entity with all its relations and item links; returns it.
    pub fn remove_entity(&mut self, id: &str) -> Option<Entity> {
        let node = self.ids.remove(id)?;
        let edges: Vec<(NodeIndex, RelationTypeId, NodeIndex)> = self
            .graph
            .edges_directed(node, PetDirection::Outgoing)
            .chain(self.graph.edges_directed(node, PetDirection::Incoming))
            .map(|edge| (edge.source(), edge.weight().relation, edge.target()))
            .collect();
        for triple in edges {
            self.triples.remove(&triple);
        }
        // Node indices are reused after removal: no item may keep pointing at this one.
        if let Some(items) = self.entity_items.remove(&node) {
            for item in items {
                if let Some(linked) = self.item_entities.get_mut(&item) {
                    linked.retain(|&n| n != node);
                    if linked.is_empty() {
                        self.item_entities.remove(&item);
                    }
                }
            }
        }
        self.invalidate_adjacency();
        self.invalidate_link_index();
        self.graph.remove_node(node)
    }

    /// Imports entities in bulk (insert or replace); invalid ones are reported, not fatal.
    pub fn import_entities<I>(&mut self, entities: I) -> ImportReport
    where
        I: IntoIterator<Item = Entity>,
    {
        let mut report = ImportReport::default();
        for (position, entity) in entities.into_iter().enumerate() {
            match self.upsert_entity(entity) {
                Ok(()) => report.written += 1,
                Err(error) => report.rejected.push((position, error)),
            }
        }
        report
    }

    /// Imports relations in bulk; duplicates count as unchanged, relations naming unknown
    /// entities are reported, not fatal.
    pub fn import_relations<I>(&mut self, relations: I) -> ImportReport
    where
        I: IntoIterator<Item = Relation>,
    {
        let mut report = ImportReport::default();
        for (position, relation) in relations.into_iter().enumerate() {
            match self.add_relation(relation) {
                Ok(true) => report.written += 1,
                Ok(false) => report.unchanged += 1,
                Err(error) => report.rejected.push((position, error)),
            }
        }
        report
    }

    /// Every relation touching the entity, outgoing then incoming; empty for unknown ids.
    pub fn facts_of(&self, id: &str) -> Vec<Fact> {
        let Some(&node) = self.ids.get(id) else {
            return Vec::new();
        };
        self.incident_edges(node, Direction::Both).map(|(edge, _, _)| self.fact(edge)).collect()
    }

    /// The relations between `a` and `b`, in either direction.
    pub fn facts_between(&self, a: &str, b: &str) -> Vec<Fact> {
        let (Some(&a), Some(&b)) = (self.ids.get(a), self.ids.get(b)) else {
            return Vec::new();
        };
        let mut facts: Vec<Fact> = self.graph.edges_connecting(a, b).map(|edge| self.fact(edge.id())).collect();
        if a != b {
            facts.extend(self.graph.edges_connecting(b, a).map(|edge| self.fact(edge.id())));
        }
        facts
    }

    /// Breadth-first neighbourhood of `id` up to `query.depth` hops.
    pub fn neighbors(&self, id: &str, query: &NeighborQuery) -> Result<Neighborhood, GraphError> {
        if !(1..=MAX_NEIGHBOR_DEPTH).contains(&query.depth) {
            return Err(GraphError::invalid("depth", format!("must be between 1 and {MAX_NEIGHBOR_DEPTH}")));
        }
        if query.limit == 0 {
            return Err(GraphError::invalid("limit", "must be at least 1"));
        }
        let center = self.node(id)?;
        let filter = match &query.relation {
            Some(name) => match self.relation_ids.get(name.as_str()) {
                Some(&relation) => Some(relation),
                // A relation type nobody uses: nothing to follow.
                None => {
                    return Ok(Neighborhood { center: id.to_string(), entities: Vec::new(), facts: Vec::new() });
                }
            },
            None => None,
        };

        let mut depth_of: HashMap<NodeIndex, usize> = HashMap::from([(center, 0)]);
        let mut order: Vec<NodeIndex> = Vec::new();
        let mut traversed: Vec<EdgeIndex> = Vec::new();
        let mut queue = VecDeque::from([center]);
        'bfs: while let Some(node) = queue.pop_front() {
            let depth = depth_of.get(&node).copied().unwrap_or(0);
            if depth >= query.depth {
                continue;
            }
            for (edge, other, relation) in self.incident_edges(node, query.direction) {
                if filter.is_some_and(|wanted| wanted != relation) {
                    continue;
                }
                traversed.push(edge);
                if depth_of.contains_key(&other) {
                    continue;
                }
                if order.len() >= query.limit {
                    break 'bfs;
                }
                depth_of.insert(other, depth + 1);
                order.push(other);
                queue.push_back(other);
            }
        }

        let mut seen_edges = HashSet::new();
        let facts = traversed
            .into_iter()
            .filter(|edge| seen_edges.insert(*edge))
            .filter(|&edge| {
                self.graph
                    .edge_endpoints(edge)
                    .is_some_and(|(a, b)| depth_of.contains_key(&a) && depth_of.contains_key(&b))
            })
            .map(|edge| self.fact(edge))
            .collect();
        let entities = order
            .into_iter()
            .map(|node| self.neighbor_entity(node, depth_of.get(&node).copied().unwrap_or(0)))
            .collect();
        Ok(Neighborhood { center: id.to_string(), entities, facts })
    }

    /// Records that `item_id` (a document, an image) mentions `entities`, replacing any
    /// earlier links of that item, so replaying a write is harmless. Unknown entity ids
    /// are ignored.
    pub fn link_item(&mut self, item_id: &str, entities: &[String]) {
        self.unlink_item(item_id);
        let mut nodes: Vec<NodeIndex> = entities.iter().filter_map(|id| self.ids.get(id.as_str()).copied()).collect();
        nodes.sort_unstable();
        nodes.dedup();
        if nodes.is_empty() {
            return;
        }
        for &node in &nodes {
            self.entity_items.entry(node).or_default().insert(item_id.to_string());
        }
        self.item_entities.insert(item_id.to_string(), nodes);
    }

    /// Forgets every link of `item_id`; `false` when it had none.
    pub fn unlink_item(&mut self, item_id: &str) -> bool {
        let Some(nodes) = self.item_entities.remove(item_id) else {
            return false;
        };
        for node in nodes {
            if let Some(items) = self.entity_items.get_mut(&node) {
                items.remove(item_id);
                if items.is_empty() {
                    self.entity_items.remove(&node);
                }
            }
        }
        true
    }

    /// Items linked to the entity, sorted.
    pub fn items_of(&self, entity_id: &str) -> Vec<String> {
        self.ids
            .get(entity_id)
            .and_then(|node| self.entity_items.get(node))
            .map(|items| items.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Entities an item is linked to.
    pub fn entities_of_item(&self, item_id: &str) -> Vec<String> {
        self.item_entities
            .get(item_id)
            .map(|nodes| nodes.iter().map(|&n| self.graph[n].id.clone()).collect())
            .unwrap_or_default()
    }

    // ----- crate-internal helpers -----

    pub(crate) fn node(&self, id: &str) -> Result<NodeIndex, GraphError> {
        self.ids.get(id).copied().ok_or_else(|| GraphError::UnknownEntity(id.to_string()))
    }

    pub(crate) fn item_entity_count(&self, item_id: &str) -> usize {
        self.item_entities.get(item_id).map_or(0, Vec::len)
    }

    pub(crate) fn relation_id(&self, name: &str) -> Option<RelationTypeId> {
        self.relation_ids.get(name).copied()
    }

    pub(crate) fn relation_name(&self, relation: RelationTypeId) -> &str {
        self.relation_names.get(relation as usize).map_or("", String::as_str)
    }

    pub(crate) fn node_degree(&self, node: NodeIndex) -> usize {
        if let Some(adjacency) = self.adjacency.get() {
            return adjacency.degree(node.index());
        }
        self.graph.edges_directed(node, PetDirection::Outgoing).count()
            + self.graph.edges_directed(node, PetDirection::Incoming).count()
    }

    /// `(edge, the other endpoint, relation type)` of the edges at `node` in `direction`:
    /// outgoing first, then incoming, each in petgraph's order. Read from the adjacency
    /// snapshot when one is current (same edges, same order), else from petgraph.
    pub(crate) fn incident_edges(
        &self,
        node: NodeIndex,
        direction: Direction,
    ) -> impl Iterator<Item = (EdgeIndex, NodeIndex, RelationTypeId)> + '_ {
        if let Some(adjacency) = self.adjacency.get() {
            let slots = adjacency.slots(node.index(), direction);
            return Incident::Snapshot(slots.map(move |slot| {
                (
                    EdgeIndex::new(adjacency.edge(slot) as usize),
                    NodeIndex::new(adjacency.target(slot)),
                    adjacency.relation(slot),
                )
            }));
        }
        let outgoing = matches!(direction, Direction::Out | Direction::Both)
            .then(|| self.graph.edges_directed(node, PetDirection::Outgoing))
            .into_iter()
            .flatten()
            .map(|edge| (edge.id(), edge.target(), edge.weight().relation));
        let incoming = matches!(direction, Direction::In | Direction::Both)
            .then(|| self.graph.edges_directed(node, PetDirection::Incoming))
            .into_iter()
            .flatten()
            .map(|edge| (edge.id(), edge.source(), edge.weight().relation));
        Incident::Petgraph(outgoing.chain(incoming))
    }

    /// The adjacency snapshot of the current graph version, built now if a write
    /// invalidated it. Concurrent readers wait for one build.
    pub(crate) fn adjacency(&self) -> &Adjacency {
        self.adjacency.get_or_init(|| Adjacency::build(&self.graph))
    }

    /// The edge as a fact, in its stored direction.
    pub(crate) fn fact(&self, edge: EdgeIndex) -> Fact {
        match (self.graph.edge_endpoints(edge), self.graph.edge_weight(edge)) {
            (Some((source, target)), Some(data)) => Fact {
                source: self.graph[source].id.clone(),
                source_name: self.graph[source].name.clone(),
                relation: self.relation_name(data.relation).to_string(),
                target: self.graph[target].id.clone(),
                target_name: self.graph[target].name.clone(),
            },
            // Edge indices handed out by this module always exist; an empty fact is
            // still better than a panic if that ever changes.
            _ => Fact {
                source: String::new(),
                source_name: String::new(),
                relation: String::new(),
                target: String::new(),
                target_name: String::new(),
            },
        }
    }

    pub(crate) fn neighbor_entity(&self, node: NodeIndex, depth: usize) -> NeighborEntity {
        let entity = &self.graph[node];
        NeighborEntity { id: entity.id.clone(), name: entity.name.clone(), kind: entity.kind.clone(), depth }
    }

    fn intern_relation(&mut self, name: &str) -> RelationTypeId {
        if let Some(&id) = self.relation_ids.get(name) {
            return id;
        }
        // More than u32::MAX distinct relation types is not a realistic schema; saturate
        // rather than panic.
        let id = RelationTypeId::try_from(self.relation_names.len()).unwrap_or(u32::MAX);
        self.relation_names.push(name.to_string());
        self.relation_ids.insert(name.to_string(), id);
        id
    }

    fn invalidate_adjacency(&mut self) {
        self.adjacency.take();
        self.invalidate_schema();
    }

    fn invalidate_schema(&mut self) {
        self.schema.take();
        self.version += 1;
    }

    /// Whether `source -relation-> target` exists.
    pub(crate) fn has_triple(&self, source: NodeIndex, relation: RelationTypeId, target: NodeIndex) -> bool {
        self.triples.contains(&(source, relation, target))
    }

    fn invalidate_link_index(&mut self) {
        *self.link_index.get_mut().unwrap_or_else(PoisonError::into_inner) = LinkState::Missing;
    }

    /// Relations changed but no entity: the linking index keeps its names and only
    /// re-ranks by degree when next used.
    fn link_index_degrees_changed(&mut self) {
        self.link_index.get_mut().unwrap_or_else(PoisonError::into_inner).degrees_changed();
    }
}

/// The edges at a node, from the snapshot or from petgraph.
enum Incident<S, P> {
    Snapshot(S),
    Petgraph(P),
}

impl<S, P, T> Iterator for Incident<S, P>
where
    S: Iterator<Item = T>,
    P: Iterator<Item = T>,
{
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        match self {
            Self::Snapshot(slots) => slots.next(),
            Self::Petgraph(edges) => edges.next(),
        }
    }
}

pub(crate) fn validate_entity(entity: &Entity) -> Result<(), GraphError> {
    if entity.id.trim().is_empty() {
        return Err(GraphError::invalid("id", "entity id is empty"));
    }
    if entity.name.trim().is_empty() {
        return Err(GraphError::invalid("name", format!("entity '{}' has an empty name", entity.id)));
    }
    Ok(())
}
