//! Adapters that let the router reach the stores: the graph, the vector index and the web,
//! each as a `braid_router::Source`, and the graph's linker as an `EntityLinker`.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use braid_graph::{Direction, Graph, GraphQuestion, LinkMethod, PprParams};
use braid_router::{
    CueDirection, EntityLinker, Filters, Hit, HitKind, LinkedEntity, Modality, Route, Source, SourceError,
    SourceRequest,
};
use braid_vector::{Embedder, Filter, SearchMode, SearchRequest, VectorBackend};
use braid_web::{WebCategory, WebModality, WebProvider, WebQuery};

use crate::store::Store;

/// Longest snippet shown for a hit, in characters.
const SNIPPET_CHARS: usize = 240;
/// Facts shown for an entity that was linked but is not itself an answer.
const SEED_FACTS: usize = 3;
/// Personalised PageRank on the query path: a coarser tolerance than the library default
/// bounds the work per query (local push does O(1/(ε·α)) pushes), and only the top of the
/// ranking is used.
const QUERY_PPR: PprParams = PprParams { alpha: 0.15, epsilon: 1e-4, max_pushes: 50_000 };

/// The graph's entity linker, seen by the router.
pub struct GraphLinker {
    graph: Arc<RwLock<Graph>>,
}

impl GraphLinker {
    /// A linker over `graph`.
    pub fn new(graph: Arc<RwLock<Graph>>) -> Self {
        GraphLinker { graph }
    }
}

impl EntityLinker for GraphLinker {
    fn link(&self, text: &str) -> Vec<LinkedEntity> {
        let graph = self.graph.read().unwrap_or_else(|e| e.into_inner());
        graph
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

/// The graph route: relational answers with their facts, the linked entities, and the
/// entities, documents and images nearest to them by personalised PageRank.
pub struct GraphSource {
    graph: Arc<RwLock<Graph>>,
    store: Arc<Store>,
}

impl GraphSource {
    /// A graph source; `store` provides titles of linked documents and images.
    pub fn new(graph: Arc<RwLock<Graph>>, store: Arc<Store>) -> Self {
        GraphSource { graph, store }
    }
}

#[async_trait]
impl Source for GraphSource {
    fn route(&self) -> Route {
        Route::Graph
    }

    async fn search(&self, request: &SourceRequest) -> Result<Vec<Hit>, SourceError> {
        let graph = self.graph.clone();
        let store = self.store.clone();
        let request = request.clone();
        tokio::task::spawn_blocking(move || {
            let graph = graph.read().unwrap_or_else(|e| e.into_inner());
            graph_hits(&graph, &store, &request)
        })
        .await
        .map_err(|e| SourceError::Failed(format!("graph task failed: {e}")))?
    }
}

/// The relation followed implicitly when a query names only an entity of this type
/// ("countries that use the euro", "countries in western europe").
fn implicit_relation(kind: &str) -> Option<(&'static str, Direction)> {
    match kind {
        "currency" => Some(("uses_currency", Direction::In)),
        "language" => Some(("official_language", Direction::In)),
        "region" | "subregion" => Some(("part_of", Direction::In)),
        _ => None,
    }
}

fn graph_hits(graph: &Graph, store: &Store, request: &SourceRequest) -> Result<Vec<Hit>, SourceError> {
    let f = &request.features;
    let mut seeds = f.entity_ids();
    if seeds.is_empty() {
        seeds = request.filters.entities.iter().filter(|id| graph.contains(id)).cloned().collect();
    }
    if seeds.is_empty() {
        return Ok(Vec::new());
    }
    let limit = request.k.max(10) * 2;
    let mut hits: Vec<Hit> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();

    // 1. Paths: "how are Kenya and Ethiopia connected".
    if f.wants_path()
        && seeds.len() >= 2
        && let Ok(Some(path)) = graph.shortest_path(&seeds[0], &seeds[1], None)
    {
        let facts: Vec<String> = path.iter().map(|p| p.text()).collect();
        let mut ids: Vec<String> = Vec::new();
        for fact in &path {
            for id in [&fact.source, &fact.target] {
                if !ids.contains(id) {
                    ids.push(id.clone());
                }
            }
        }
        for (i, id) in ids.iter().enumerate() {
            if let Some(h) = entity_hit(graph, id, 1.0 / (1.0 + i as f32), facts.clone()) {
                push(&mut hits, &mut seen, h);
            }
        }
    }

    // 2. Relational answers: the relation cues, or the relation implied by the seed's type.
    let mut questions: Vec<(String, Direction)> = f
        .relations
        .iter()
        .filter(|r| r.relation != braid_router::PATH_RELATION)
        .map(|r| {
            let d = match r.direction {
                CueDirection::Out => Direction::Out,
                CueDirection::In => Direction::In,
                CueDirection::Both => Direction::Both,
            };
            (r.relation.clone(), d)
        })
        .collect();
    if questions.is_empty() {
        for e in &f.entities {
            if let Some((rel, d)) = implicit_relation(&e.kind) {
                questions.push((rel.to_string(), d));
                break;
            }
        }
    }
    for (relation, direction) in questions {
        let question =
            GraphQuestion { seeds: seeds.clone(), relations: vec![relation], direction, target_kind: None, limit };
        for answer in graph.answer(&question) {
            let facts = answer.facts.iter().map(|x| x.text()).collect();
            if let Some(h) = entity_hit(graph, &answer.entity.id, answer.score as f32, facts) {
                push(&mut hits, &mut seen, h);
            }
        }
    }

    // 3. The linked entities themselves.
    for e in &f.entities {
        let facts = graph.facts_of(&e.id).iter().take(SEED_FACTS).map(|x| x.text()).collect();
        if let Some(h) = entity_hit(graph, &e.id, e.confidence * 0.5, facts) {
            push(&mut hits, &mut seen, h);
        }
    }

    // 4. Personalised PageRank from the seeds ranks the neighbourhood and linked items.
    let weighted: Vec<(String, f64)> = f
        .entities
        .iter()
        .map(|e| (e.id.clone(), f64::from(e.confidence)))
        .chain(seeds.iter().filter(|s| !f.entities.iter().any(|e| &e.id == *s)).map(|s| (s.clone(), 1.0)))
        .collect();
    let ppr = graph.personalized_pagerank(&weighted, &QUERY_PPR);
    let top = ppr.iter().map(|(_, s)| *s).fold(f64::EPSILON, f64::max);
    for (item, score) in graph.rank_items(&ppr, limit) {
        if let Some(h) = item_hit(store, &item, (score / top) as f32 * 0.4, None) {
            push(&mut hits, &mut seen, h);
        }
    }
    for (id, score) in ppr.iter().take(limit) {
        if let Some(h) = entity_hit(graph, id, (score / top) as f32 * 0.3, Vec::new()) {
            push(&mut hits, &mut seen, h);
        }
    }

    // Answers keep their order (they were added by strength of evidence); then filters.
    hits.retain(|h| passes(h, graph, &request.filters));
    hits.truncate(request.k);
    Ok(hits)
}

fn push(hits: &mut Vec<Hit>, seen: &mut HashSet<String>, hit: Hit) {
    if seen.insert(hit.id.clone()) {
        hits.push(hit);
    }
}

fn passes(hit: &Hit, graph: &Graph, filters: &Filters) -> bool {
    if let Some(m) = filters.modality
        && hit.modality != m
    {
        return false;
    }
    // `entities`: an entity passes when it is one of them, an item when it is linked to one.
    if !filters.entities.is_empty() {
        let ok = match hit.kind {
            HitKind::Entity => filters.entities.contains(&hit.id),
            HitKind::Document | HitKind::Image => {
                graph.entities_of_item(&hit.id).iter().any(|e| filters.entities.contains(e))
            }
            HitKind::Web => false,
        };
        if !ok {
            return false;
        }
    }
    if let Some(kind) = &filters.kind {
        let ok = match hit.kind {
            HitKind::Entity => graph.entity(&hit.id).is_some_and(|e| &e.kind == kind),
            HitKind::Document => kind == "document",
            HitKind::Image => kind == "image",
            HitKind::Web => kind == "web",
        };
        if !ok {
            return false;
        }
    }
    true
}

fn entity_hit(graph: &Graph, id: &str, score: f32, facts: Vec<String>) -> Option<Hit> {
    let e = graph.entity(id)?;
    Some(Hit {
        id: e.id.clone(),
        kind: HitKind::Entity,
        modality: Modality::Text,
        title: e.name.clone(),
        snippet: snippet(&e.description),
        uri: None,
        thumbnail: None,
        score,
        facts,
    })
}

/// A document or image hit, looked up in the store of record.
/// The hit for item `id`; for passage `n` (from 1) of a document, the snippet is that
/// passage's, from the sentence that shares most words with `query`.
fn item_hit(store: &Store, id: &str, score: f32, passage: Option<(usize, &str)>) -> Option<Hit> {
    if let Ok(Some(d)) = store.document(id) {
        let text = passage
            .and_then(|(n, query)| {
                let text = crate::passages::split(&d.text).into_iter().nth(n.saturating_sub(1))?;
                Some(crate::passages::from_best_sentence(&text, query).to_string())
            })
            .unwrap_or_else(|| d.text.clone());
        return Some(Hit {
            id: d.id,
            kind: HitKind::Document,
            modality: Modality::Text,
            title: d.title,
            snippet: snippet(&text),
            uri: None,
            thumbnail: None,
            score,
            facts: Vec::new(),
        });
    }
    let img = store.image(id).ok()??;
    Some(image_hit(img, score))
}

fn image_hit(img: crate::records::ImageRecord, score: f32) -> Hit {
    let thumbnail = img.media_type.as_ref().map(|_| format!("/v1/images/{}/content", img.id));
    Hit {
        uri: img.path.clone().or(img.url.clone()),
        thumbnail,
        id: img.id,
        kind: HitKind::Image,
        modality: Modality::Image,
        title: img.caption.clone(),
        snippet: snippet(&img.caption),
        score,
        facts: Vec::new(),
    }
}

/// The first [`SNIPPET_CHARS`] characters, cut at a word boundary.
pub fn snippet(text: &str) -> String {
    if text.chars().count() <= SNIPPET_CHARS {
        return text.to_string();
    }
    let cut: String = text.chars().take(SNIPPET_CHARS).collect();
    let at = cut.rfind(' ').unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end())
}

/// The vector route: hybrid dense + BM25 search over documents and images.
pub struct VectorSource {
    vectors: Arc<dyn VectorBackend>,
    embedder: Arc<dyn Embedder>,
    store: Arc<Store>,
}

impl VectorSource {
    /// A vector source over `vectors`, embedding queries with `embedder`.
    pub fn new(vectors: Arc<dyn VectorBackend>, embedder: Arc<dyn Embedder>, store: Arc<Store>) -> Self {
        VectorSource { vectors, embedder, store }
    }
}

#[async_trait]
impl Source for VectorSource {
    fn route(&self) -> Route {
        Route::Vector
    }

    async fn search(&self, request: &SourceRequest) -> Result<Vec<Hit>, SourceError> {
        let vectors = self.vectors.clone();
        let embedder = self.embedder.clone();
        let store = self.store.clone();
        let request = request.clone();
        tokio::task::spawn_blocking(move || vector_hits(vectors.as_ref(), embedder.as_ref(), &store, &request))
            .await
            .map_err(|e| SourceError::Failed(format!("vector task failed: {e}")))?
    }
}

fn vector_hits(
    vectors: &dyn VectorBackend,
    embedder: &dyn Embedder,
    store: &Store,
    request: &SourceRequest,
) -> Result<Vec<Hit>, SourceError> {
    let mut filter = Filter {
        modality: request.filters.modality.map(|m| match m {
            Modality::Text => braid_vector::Modality::Text,
            Modality::Image => braid_vector::Modality::Image,
        }),
        tags: request.filters.tags.clone(),
        entities: request.filters.entities.clone(),
        source: request.filters.source.clone(),
        ..Filter::default()
    };
    if let Some(kind) = &request.filters.kind {
        match kind.as_str() {
            // Passages of long documents are documents too.
            "document" => filter.kinds = vec![kind.clone(), crate::passages::PASSAGE_KIND.into()],
            "image" => filter.kinds = vec![kind.clone()],
            // Items are documents and images; an entity type matches none of them.
            _ => return Ok(Vec::new()),
        }
    }
    let vector = match &request.image {
        Some(bytes) => {
            embedder.embed_images(&[bytes.as_slice()]).map_err(|e| SourceError::Failed(e.to_string()))?.pop()
        }
        None if request.query.trim().is_empty() => None,
        // Introspection embedded the query already (for exemplar similarity) with this embedder.
        None => match &request.features.embedding {
            Some(v) if v.len() == embedder.dimension() => Some(v.as_ref().clone()),
            _ => Some(embedder.embed_text(&request.query).map_err(|e| SourceError::Failed(e.to_string()))?),
        },
    };
    // A query that asks for pictures ("pictures of…", "what does X look like") gets the images
    // that match first, then the rest, unless the caller filtered by modality already.
    let wants_images =
        request.filters.modality.is_none() && (!request.features.visual.is_empty() || request.image.is_some());
    let mut passes = Vec::new();
    if wants_images {
        let mut images = filter.clone();
        images.modality = Some(braid_vector::Modality::Image);
        passes.push(images);
    }
    passes.push(filter);
    let mut hits: Vec<Hit> = Vec::new();
    for filter in passes {
        let before = hits.len();
        let mut depth = request.k;
        loop {
            let search = SearchRequest {
                text: (!request.query.trim().is_empty()).then(|| request.query.clone()),
                vector: vector.clone(),
                k: depth,
                filter: filter.clone(),
                mode: SearchMode::Hybrid,
                ef: request.ef,
                ..SearchRequest::default()
            };
            let found = vectors.search(&search).map_err(|e| match e {
                braid_vector::VectorError::InvalidInput { field, reason } => {
                    SourceError::InvalidInput { field: field.to_string(), message: reason }
                }
                other => SourceError::Failed(other.to_string()),
            })?;
            let saturated = found.len() == depth;
            hits.truncate(before);
            for h in found {
                // A passage stands for its document; the best passage of a document counts.
                let (id, passage) = if h.kind == crate::passages::PASSAGE_KIND {
                    let n = h.id.rsplit_once('#').and_then(|(_, n)| n.parse().ok());
                    (crate::passages::document_of(&h.id), n.map(|n| (n, request.query.as_str())))
                } else {
                    (h.id.as_str(), None)
                };
                if hits.len() < request.k && !hits.iter().any(|x| x.id == id) {
                    hits.extend(item_hit(store, id, h.score, passage));
                }
            }
            // Passages of one document fill several places: look deeper until k distinct
            // results are found or the index has no more.
            if hits.len() >= request.k || !saturated || depth >= braid_vector::MAX_K {
                break;
            }
            depth = (depth * 2).min(braid_vector::MAX_K);
        }
    }
    Ok(hits)
}

/// The web route: a configured web search provider, or unavailable with the reason.
pub struct WebSource {
    provider: Option<Arc<dyn WebProvider>>,
}

impl WebSource {
    /// A web source; `None` means no provider is configured.
    pub fn new(provider: Option<Arc<dyn WebProvider>>) -> Self {
        WebSource { provider }
    }
}

#[async_trait]
impl Source for WebSource {
    fn route(&self) -> Route {
        Route::Web
    }

    fn availability(&self) -> Result<(), String> {
        match &self.provider {
            Some(_) => Ok(()),
            None => Err("no provider configured (set BRAID_WEB_PROVIDER and BRAID_WEB_URL)".into()),
        }
    }

    async fn search(&self, request: &SourceRequest) -> Result<Vec<Hit>, SourceError> {
        let provider =
            self.provider.as_ref().ok_or_else(|| SourceError::Unavailable("no web provider configured".into()))?;
        if request.filters.kind.as_deref().is_some_and(|k| k != "web") {
            return Ok(Vec::new());
        }
        let mut query = WebQuery::new(request.query.clone(), request.k);
        if request.filters.modality == Some(Modality::Image) {
            query.category = WebCategory::Images;
        }
        let found = provider.search(&query).await.map_err(|e| SourceError::Failed(e.to_string()))?;
        Ok(found
            .into_iter()
            .filter(|h| {
                request.filters.modality.is_none_or(|m| (m == Modality::Image) == (h.modality == WebModality::Image))
            })
            .map(|h| {
                let image = h.modality == WebModality::Image;
                Hit {
                    id: h.url.clone(),
                    kind: HitKind::Web,
                    modality: if image { Modality::Image } else { Modality::Text },
                    title: h.title,
                    snippet: h.snippet,
                    uri: Some(if image { h.image_url.clone().unwrap_or(h.url) } else { h.url }),
                    thumbnail: h.thumbnail_url,
                    score: h.score,
                    facts: Vec::new(),
                }
            })
            .collect())
    }
}
