//! [`LexicalIndex`]: BM25 over an item's title and text with tantivy, plus exact-match
//! fields so that filters are applied inside the query rather than after it. Every field is
//! also stored, so the index is where an item's text and metadata are read back from
//! ([`LexicalIndex::stored_item`]): the store keeps only what searches need in memory.
//!
//! Title and text are searched as one field, `body` (the title, a line break, the text),
//! analysed by [`english_analyzer`](crate::analyzer::english_analyzer); BM25 with tantivy's
//! k1 = 1.2, b = 0.75. Why one field: a separate title field with its own length statistics,
//! boosted ×2 as before, scored 0.510 nDCG@10 on Cranfield where one field scores 0.545 with
//! the same analyzer (Braid's BM25 before: 0.512): a short title field gives a title term a
//! large BM25 weight, and a document whose title repeats a query word outranked the
//! documents about the whole query. k1 = 0.9, b = 0.4 (Anserini's defaults) scored 0.527
//! there, below 1.2 / 0.75. Title and text are also kept as stored-only fields to read back.

use std::collections::HashSet;
use std::sync::Mutex;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{FAST, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::analyzer::english_analyzer;
use crate::error::VectorError;
use crate::filter::Filter;
use crate::item::{Item, Modality};
use crate::scratch_dir::ScratchDirectory;

/// Name under which the English analyzer is registered.
const ANALYZER: &str = "braid_en";
/// Query terms beyond this are ignored: a pasted document as a query must not build a
/// boolean query with thousands of clauses.
const MAX_QUERY_TERMS: usize = 256;
/// Indexing arena; one writer thread keeps CPU free for queries.
const WRITER_MEMORY_BYTES: usize = 32 * 1024 * 1024;

struct Fields {
    key: Field,
    id: Field,
    /// Title and text, analysed for BM25 (not stored).
    body: Field,
    /// Stored only, to read the item back.
    title: Field,
    /// Stored only, to read the item back.
    text: Field,
    modality: Field,
    kind: Field,
    tags: Field,
    entities: Field,
    source: Field,
}

/// A tantivy index of items; writes are staged and become visible at [`commit`](Self::commit).
pub struct LexicalIndex {
    fields: Fields,
    analyzer: TextAnalyzer,
    writer: Mutex<IndexWriter<TantivyDocument>>,
    reader: IndexReader,
}

impl LexicalIndex {
    /// An index held in RAM.
    pub fn in_memory() -> Result<Self, VectorError> {
        Self::with_index(|schema| Ok(Index::create_in_ram(schema)))
    }

    /// An index in files under `dir` (emptied first), memory-mapped: its segments live in
    /// the kernel's page cache rather than in the process's heap. Its files are not synced
    /// (see [`ScratchDirectory`]): the owner rebuilds it at every open.
    pub fn in_dir(dir: &std::path::Path) -> Result<Self, VectorError> {
        Self::with_index(|schema| {
            let directory = ScratchDirectory::create_empty(dir).map_err(tantivy::TantivyError::from)?;
            Ok(Index::create(directory, schema, tantivy::IndexSettings::default())?)
        })
    }

    fn with_index(create: impl FnOnce(Schema) -> Result<Index, VectorError>) -> Result<Self, VectorError> {
        let mut builder = Schema::builder();
        let analyzed = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default().set_tokenizer(ANALYZER).set_index_option(IndexRecordOption::WithFreqs),
        );
        let fields = Fields {
            key: builder.add_u64_field("key", FAST),
            id: builder.add_text_field("id", STRING | STORED),
            body: builder.add_text_field("body", analyzed),
            title: builder.add_text_field("title", STORED),
            text: builder.add_text_field("text", STORED),
            modality: builder.add_text_field("modality", STRING | STORED),
            kind: builder.add_text_field("kind", STRING | STORED),
            tags: builder.add_text_field("tags", STRING | STORED),
            entities: builder.add_text_field("entities", STRING | STORED),
            source: builder.add_text_field("source", STRING | STORED),
        };
        let index = create(builder.build())?;
        let analyzer = english_analyzer();
        index.tokenizers().register(ANALYZER, analyzer.clone());
        let writer = index.writer_with_num_threads(1, WRITER_MEMORY_BYTES)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(LexicalIndex { fields, analyzer, writer: Mutex::new(writer), reader })
    }

    /// The committed item with this id, read back from the stored fields.
    pub fn stored_item(&self, id: &str) -> Result<Option<Item>, VectorError> {
        let f = &self.fields;
        let searcher = self.reader.searcher();
        let query = TermQuery::new(Term::from_field_text(f.id, id), IndexRecordOption::Basic);
        let Some((_, address)) = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?.pop() else {
            return Ok(None);
        };
        let doc: TantivyDocument = searcher.doc(address)?;
        let first = |field: Field| doc.get_first(field).and_then(|v| v.as_str().map(str::to_string));
        let all = |field: Field| doc.get_all(field).filter_map(|v| v.as_str().map(str::to_string)).collect();
        let modality = match first(f.modality).as_deref() {
            Some("image") => Modality::Image,
            _ => Modality::Text,
        };
        Ok(Some(Item {
            id: first(f.id).unwrap_or_else(|| id.to_string()),
            modality,
            kind: first(f.kind).unwrap_or_default(),
            title: first(f.title).unwrap_or_default(),
            text: first(f.text).unwrap_or_default(),
            tags: all(f.tags),
            entities: all(f.entities),
            source: first(f.source),
        }))
    }

    /// Stages an item under `key`, replacing any document with the same id.
    pub fn stage_upsert(&self, key: u64, item: &Item) -> Result<(), VectorError> {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_u64(f.key, key);
        doc.add_text(f.id, &item.id);
        doc.add_text(f.body, body(item));
        doc.add_text(f.title, &item.title);
        doc.add_text(f.text, &item.text);
        doc.add_text(f.modality, item.modality.as_str());
        doc.add_text(f.kind, &item.kind);
        for tag in &item.tags {
            doc.add_text(f.tags, tag);
        }
        for entity in &item.entities {
            doc.add_text(f.entities, entity);
        }
        if let Some(source) = &item.source {
            doc.add_text(f.source, source);
        }
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        // A delete only affects documents added before it, so this replaces, never drops.
        writer.delete_term(Term::from_field_text(f.id, &item.id));
        writer.add_document(doc)?;
        Ok(())
    }

    /// Stages the removal of the document with this id.
    pub fn stage_delete(&self, id: &str) {
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        writer.delete_term(Term::from_field_text(self.fields.id, id));
    }

    /// Makes staged writes durable in the index and visible to searches.
    pub fn commit(&self) -> Result<(), VectorError> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        writer.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Number of live documents visible to searches.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The analyzed, de-duplicated terms of a query text, in order, at most 256.
    pub fn query_terms(&self, text: &str) -> Vec<String> {
        let mut analyzer = self.analyzer.clone();
        let mut stream = analyzer.token_stream(text);
        let mut seen = HashSet::new();
        let mut terms = Vec::new();
        while stream.advance() {
            let term = stream.token().text.clone();
            if seen.insert(term.clone()) {
                terms.push(term);
                if terms.len() == MAX_QUERY_TERMS {
                    break;
                }
            }
        }
        terms
    }

    /// The BM25 top `limit` (key, score) for `text`, restricted to items matching `filter`.
    /// A text without any indexable term (empty, only stop-words) matches nothing.
    pub fn search(&self, text: &str, filter: &Filter, limit: usize) -> Result<Vec<(u64, f32)>, VectorError> {
        let terms = self.query_terms(text);
        if terms.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let f = &self.fields;
        let should: Vec<(Occur, Box<dyn Query>)> =
            terms.iter().map(|term| (Occur::Should, term_query(f.body, term))).collect();
        let text_query: Box<dyn Query> = Box::new(BooleanQuery::new(should));
        let query: Box<dyn Query> = match self.filter_query(filter) {
            None => text_query,
            // The filter must hold but must not change BM25 scores.
            Some(filter_query) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, text_query),
                (Occur::Must, Box::new(ConstScoreQuery::new(filter_query, 0.0))),
            ])),
        };
        let searcher = self.reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
        let mut hits = Vec::with_capacity(top.len());
        // One fast-field column per segment, opened lazily.
        let mut columns = vec![None; searcher.segment_readers().len()];
        for (score, address) in top {
            let ord = address.segment_ord as usize;
            let Some(slot) = columns.get_mut(ord) else {
                continue;
            };
            if slot.is_none() {
                *slot = Some(searcher.segment_reader(address.segment_ord).fast_fields().u64("key")?);
            }
            if let Some(key) = slot.as_ref().and_then(|c| c.first(address.doc_id)) {
                hits.push((key, score));
            }
        }
        Ok(hits)
    }

    /// The filter as a tantivy query, or `None` when it imposes nothing.
    fn filter_query(&self, filter: &Filter) -> Option<Box<dyn Query>> {
        let f = &self.fields;
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(modality) = filter.modality {
            must.push((Occur::Must, term_query(f.modality, modality.as_str())));
        }
        for (field, values) in [(f.kind, &filter.kinds), (f.tags, &filter.tags), (f.entities, &filter.entities)] {
            if !values.is_empty() {
                let any: Vec<Box<dyn Query>> = values.iter().map(|v| term_query(field, v)).collect();
                must.push((Occur::Must, Box::new(BooleanQuery::union(any))));
            }
        }
        if let Some(source) = &filter.source {
            must.push((Occur::Must, term_query(f.source, source)));
        }
        if must.is_empty() { None } else { Some(Box::new(BooleanQuery::new(must))) }
    }
}

/// What BM25 reads of an item: the title, then the text.
fn body(item: &Item) -> String {
    match (item.title.trim().is_empty(), item.text.trim().is_empty()) {
        (true, _) => item.text.clone(),
        (false, true) => item.title.clone(),
        (false, false) => format!("{}\n{}", item.title, item.text),
    }
}

fn term_query(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::WithFreqs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::Modality;

    #[test]
    fn query_terms_are_stemmed_without_stop_words_and_capped() {
        let index = LexicalIndex::in_memory().expect("index");
        assert_eq!(index.query_terms("What are the Running Koalas, the koala!"), ["run", "koala"]);
        let long: String = (0..1_000).map(|i| format!("w{i} ")).collect();
        assert_eq!(index.query_terms(&long).len(), MAX_QUERY_TERMS);
    }

    #[test]
    fn filter_terms_restrict_without_changing_scores() {
        let index = LexicalIndex::in_memory().expect("index");
        let item = |id: &str, modality, text: &str| Item {
            id: id.into(),
            modality,
            kind: "k".into(),
            title: String::new(),
            text: text.into(),
            tags: vec![],
            entities: vec![],
            source: None,
        };
        index.stage_upsert(1, &item("a", Modality::Text, "red fox")).expect("stage");
        index.stage_upsert(2, &item("b", Modality::Image, "red fox")).expect("stage");
        index.commit().expect("commit");
        let all = index.search("fox", &Filter::default(), 10).expect("search");
        assert_eq!(all.len(), 2);
        let images = Filter { modality: Some(Modality::Image), ..Filter::default() };
        let only = index.search("fox", &images, 10).expect("search");
        assert_eq!(only.len(), 1);
        assert_eq!(only[0].0, 2);
        assert!((only[0].1 - all[0].1).abs() < 1e-6, "the filter adds no score");
    }
}
