//! A knowledge base's graph as the router sees it (its linker and its schema), for the
//! planning-latency bench; the `braid` binary has its own adapter in braid-kb.

use std::io::BufRead;
use std::path::Path;

use braid_graph::{Direction, Entity, Graph, LinkMethod, Relation};
use braid_router::{CueDirection, EntityLinker, EntityType, KbSchema, LinkedEntity, RelationType, SchemaSource};

/// A graph behind the router's `EntityLinker` and `SchemaSource`.
pub struct GraphView {
    /// The graph.
    pub graph: Graph,
}

impl GraphView {
    /// Loads `entities.jsonl` and `relations.jsonl` of every folder in `dirs` into one graph.
    pub fn load(dirs: &[&Path]) -> Self {
        let mut graph = Graph::new();
        for dir in dirs {
            graph.import_entities(read_jsonl::<Entity>(&dir.join("entities.jsonl")));
        }
        for dir in dirs {
            graph.import_relations(read_jsonl::<Relation>(&dir.join("relations.jsonl")));
        }
        GraphView { graph }
    }

    /// Builds the linker and adjacency now, so the bench times queries only.
    pub fn prepare(&self) {
        self.graph.prepare_adjacency();
        self.graph.prepare_linker();
    }
}

impl EntityLinker for GraphView {
    fn link(&self, text: &str) -> Vec<LinkedEntity> {
        self.graph
            .link(text)
            .into_iter()
            .map(|l| LinkedEntity {
                id: l.entity_id,
                name: l.name,
                kind: l.kind,
                mention: l.mention,
                confidence: l.confidence,
                method: match l.method {
                    LinkMethod::Exact => "exact",
                    LinkMethod::Alias => "alias",
                    LinkMethod::Fuzzy => "fuzzy",
                }
                .to_string(),
            })
            .collect()
    }

    fn count_related(&self, id: &str, relation: &str, direction: CueDirection) -> usize {
        let direction = match direction {
            CueDirection::Out => Direction::Out,
            CueDirection::In => Direction::In,
            CueDirection::Both => Direction::Both,
        };
        self.graph.count_related(id, relation, direction)
    }
}

impl SchemaSource for GraphView {
    fn version(&self) -> u64 {
        self.graph.version()
    }

    fn schema(&self) -> KbSchema {
        let stats = self.graph.schema_stats();
        KbSchema {
            relations: stats
                .relations
                .iter()
                .map(|r| RelationType {
                    source_types: r.source_types.iter().map(|(t, _)| t.clone()).collect(),
                    target_types: r.target_types.iter().map(|(t, _)| t.clone()).collect(),
                    symmetric: r.symmetric,
                    ..RelationType::named(r.name.clone(), r.count)
                })
                .collect(),
            entity_types: stats
                .entity_types
                .iter()
                .map(|t| EntityType { name: t.name.clone(), count: t.count, ..EntityType::default() })
                .collect(),
        }
    }
}

fn read_jsonl<T: serde::de::DeserializeOwned>(path: &Path) -> Vec<T> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    std::io::BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_str(&l).ok())
        .collect()
}
