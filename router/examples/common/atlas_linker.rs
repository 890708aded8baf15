//! The atlas graph's entity linker, seen by the router: shared by the planning-latency bench
//! and the feature-dump example (the `braid` binary has its own adapter in `src/sources.rs`).

use std::io::BufRead;
use std::path::{Path, PathBuf};

use braid_graph::{Entity, Graph, LinkMethod, Relation};
use braid_router::{EntityLinker, LinkedEntity};

/// The graph's linker behind the router's `EntityLinker` trait.
pub struct AtlasLinker {
    graph: Graph,
}

impl AtlasLinker {
    /// Loads entities and relations of the atlas in `dir` and builds the link index.
    pub fn load(dir: &Path) -> Self {
        let mut graph = Graph::new();
        graph.import_entities(read_jsonl::<Entity>(&dir.join("entities.jsonl")));
        graph.import_relations(read_jsonl::<Relation>(&dir.join("relations.jsonl")));
        graph.prepare_linker();
        AtlasLinker { graph }
    }
}

impl EntityLinker for AtlasLinker {
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
}

/// The atlas directory: `BRAID_ATLAS`, else the repository's demo data.
pub fn atlas_dir() -> PathBuf {
    std::env::var_os("BRAID_ATLAS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data/atlas"))
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
