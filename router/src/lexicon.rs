//! The vocabulary of questions about one knowledge base, compiled from its schema
//! ([`crate::schema`]): which words and phrases name which relation, which way a question
//! follows it, and which words name entity types. Compiled once per schema version (the
//! router caches it), then read per query in microseconds.
//!
//! A relation is recognised by
//! - its name as a phrase (`part_of` → "part of"), its label, inverse label and aliases;
//! - the roots of its content words ([`crate::morphology`]): `directed_by` is cued by
//!   "directed", "directs", "director", "direction"; `depends_on` by "dependencies".
//!
//! Which way to follow it is read, in order, from the data (an entity whose type only ever
//! appears on one side of the relation), then from the sentence: "by" after the cue word
//! makes it passive (the entity after "by" is the doer); an agent noun ("director") asks
//! for the doer; another noun ("dependencies of X", "X's currency") for what X has; a verb
//! has its doer before it ("what does X depend on") and the other party after it ("who
//! directed X"). A relation named in the passive (`…_by`) has its doer at the target.
//!
//! ```
//! use braid_router::lexicon::Lexicon;
//! use braid_router::schema::{EntityType, KbSchema, RelationType};
//! use braid_router::CueDirection;
//!
//! let mut directed = RelationType::named("directed_by", 40);
//! directed.source_types = vec!["film".into()];
//! directed.target_types = vec!["person".into()];
//! let schema = KbSchema {
//!     relations: vec![directed],
//!     entity_types: vec![EntityType { name: "film".into(), count: 30, ..Default::default() }],
//! };
//! let lexicon = Lexicon::compile(&schema);
//! let words = ["which", "films", "did", "kurosawa", "direct"];
//! let cues = lexicon.relation_cues(&words, &[]);
//! assert_eq!(cues[0].relation, "directed_by");
//! assert_eq!(lexicon.type_mentions(&words, &[])[0].kind, "film");
//! ```

use std::collections::HashMap;

use crate::features::CueDirection;
use crate::morphology::{Form, forms, is_function_word, stem};
use crate::normalize::{normalize, within_one_edit};
use crate::schema::KbSchema;

/// A relation's share of its reverse above which it is followed both ways ("borders").
const SYMMETRIC: f32 = 0.8;

/// A cue whose words cover less than this share of a relation's content words is dropped:
/// one word of a two-word name ("currency" for `uses_currency`) still counts.
const MIN_CUE_CONFIDENCE: f32 = 0.5;

#[derive(Debug, Clone)]
struct Phrase {
    words: Vec<String>,
    relation: usize,
    /// The inverse label: it reads from the target ("required by" for `depends_on`).
    inverse: bool,
    /// Form of its head word (an alias such as "filmmaker" is an agent noun).
    form: Form,
}

#[derive(Debug, Clone)]
struct RootCue {
    relation: usize,
    /// Which content word of the relation this root stands for.
    word: usize,
    /// Whether that word is the relation's verb (as opposed to a noun such as "currency").
    verb: bool,
}

#[derive(Debug, Clone)]
struct RelationEntry {
    name: String,
    count: usize,
    source_types: Vec<String>,
    target_types: Vec<String>,
    symmetric: bool,
    /// Named in the passive (`directed_by`): its doer is the target.
    passive: bool,
    /// Content words of the name (at least 1, so a share can be computed).
    content_words: usize,
}

#[derive(Debug, Clone)]
struct TypePhrase {
    stems: Vec<String>,
    kind: usize,
    /// Only the last word of a longer name ("extensions" for `file_extension`): used when
    /// no whole name matches.
    head: bool,
    /// From an alias: a name, label or plural with the same words wins over it ("packages"
    /// is the type `package`, not a `maintainer` by its alias "packager").
    alias: bool,
}

/// Shortest head word that names a multi-word type on its own ("alias", "extension").
const MIN_HEAD_CHARS: usize = 5;

/// Shortest part of a one-word compound type name ("time" + "zone").
const MIN_COMPOUND_PART: usize = 4;

/// The compiled vocabulary of one schema.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    relations: Vec<RelationEntry>,
    /// Phrases by their first word.
    phrases: HashMap<String, Vec<Phrase>>,
    /// Relation word roots.
    roots: HashMap<String, Vec<RootCue>>,
    /// Entity type phrases by the stem of their first word.
    types: HashMap<String, Vec<TypePhrase>>,
    type_names: Vec<String>,
    /// Words of relation and type names, labels and aliases long enough to correct a typo
    /// towards (see [`Lexicon::correct`]).
    vocabulary: Vec<String>,
    /// Each relation's phrases (name, label, aliases; inverse flagged) embedded, made on the
    /// first paraphrase lookup (see [`Lexicon::paraphrase_cue`]).
    embedded: std::sync::OnceLock<Vec<(usize, bool, Vec<f32>)>>,
    /// The phrases to embed: relation, inverse, text.
    phrase_texts: Vec<(usize, bool, String)>,
}

/// Cosine similarity above which words of a query are read as a paraphrase of a relation
/// ("what is the parent type of X" ~ `subclass_of`). Measured with all-MiniLM-L6-v2 on the
/// paraphrase questions of the domains' training sets against bare relation names: queries
/// of other routes scored 0.12–0.23, paraphrases 0.24–0.51, and the right relation only
/// scored above 0.5; so the bar is set there and most paraphrases still need a label or
/// alias in a schema record.
pub const PARAPHRASE_SIMILARITY: f32 = 0.5;

/// Shortest word corrected towards the vocabulary: shorter words have too many neighbours
/// one edit away ("use" → "user").
pub const MIN_CORRECTED_CHARS: usize = 6;

/// A relation the query asks about.
#[derive(Debug, Clone, PartialEq)]
pub struct LexiconCue {
    /// The words that named it.
    pub cue: String,
    /// The relation type.
    pub relation: String,
    /// Which way to follow it from the linked entities.
    pub direction: CueDirection,
    /// How much of the relation the words name: 1 for its whole name, a label or an alias.
    pub confidence: f32,
    /// How the direction was decided (for the trace).
    pub why: &'static str,
    /// Position of the word that decided its reading (its verb, else its first word), or
    /// `usize::MAX` for a paraphrase: where the relation sits in the sentence, for parsers
    /// that compose several relations.
    pub at: usize,
}

/// An entity type the query names ("which films…").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeMention {
    /// The type.
    pub kind: String,
    /// The words that named it.
    pub words: String,
    /// Position of its first word.
    pub at: usize,
}

/// A linked entity as the lexicon sees it: where its mention is and what type it has.
#[derive(Debug, Clone, Copy)]
pub struct Mention<'a> {
    /// First word of the mention.
    pub start: usize,
    /// One past its last word.
    pub end: usize,
    /// The entity's type.
    pub kind: &'a str,
}

/// Splits a name such as `directed_by`, `hasPart` or `official language` into lower-case words.
pub fn name_words(name: &str) -> Vec<String> {
    let mut spaced = String::with_capacity(name.len() + 4);
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_uppercase() && prev_lower {
            spaced.push(' ');
        }
        prev_lower = c.is_lowercase();
        spaced.push(c);
    }
    normalize(&spaced).split(' ').filter(|w| !w.is_empty()).map(str::to_string).collect()
}

/// Whether a relation word is its verb: a participle (`directed`), a third-person form
/// (`depends`, `borders`) or the first word before a preposition (`belong to`).
fn is_verb_word(words: &[String], i: usize) -> bool {
    let w = &words[i];
    let next_is_preposition = words.get(i + 1).is_some_and(|n| is_function_word(n));
    let participle = w.ends_with("ed") || IRREGULAR_PARTICIPLES.contains(&w.as_str());
    let third_person = w.ends_with('s') && !w.ends_with("ss") && words.len() <= 2;
    participle || (third_person && (i == 0)) || (next_is_preposition && i == 0 && !w.ends_with("al"))
}

/// Participles that do not end in -ed, for relation names such as `built_from`, `written_by`.
const IRREGULAR_PARTICIPLES: &[&str] = &[
    "born", "built", "done", "drawn", "driven", "found", "given", "held", "known", "led", "made", "paid", "run",
    "said", "seen", "sent", "sold", "spoken", "taken", "taught", "told", "won", "worn", "written",
];

impl Lexicon {
    /// Compiles the vocabulary of `schema`.
    pub fn compile(schema: &KbSchema) -> Lexicon {
        let mut lex = Lexicon::default();
        for relation in &schema.relations {
            let words = name_words(&relation.name);
            let passive = words.last().is_some_and(|w| w == "by")
                || relation.label.as_deref().is_some_and(|l| name_words(l).last().is_some_and(|w| w == "by"));
            let index = lex.relations.len();
            let content: Vec<usize> = (0..words.len()).filter(|&i| !is_function_word(&words[i])).collect();
            lex.relations.push(RelationEntry {
                name: relation.name.clone(),
                count: relation.count,
                source_types: relation.source_types.clone(),
                target_types: relation.target_types.clone(),
                symmetric: relation.symmetric >= SYMMETRIC,
                passive,
                content_words: content.len().max(1),
            });
            for (n, &i) in content.iter().enumerate() {
                let verb = is_verb_word(&words, i);
                for form in forms(&words[i]) {
                    let cues = lex.roots.entry(form.root).or_default();
                    if !cues.iter().any(|c| c.relation == index && c.word == n) {
                        cues.push(RootCue { relation: index, word: n, verb });
                    }
                }
            }
            // Multi-word names, labels and aliases as phrases; a one-word alias too (it may
            // share no root with the name: "filmmaker").
            let mut phrases: Vec<(Vec<String>, bool)> = Vec::new();
            if words.len() > 1 {
                phrases.push((words.clone(), false));
            }
            for text in relation.label.iter().chain(&relation.aliases) {
                phrases.push((name_words(text), false));
            }
            if let Some(inverse) = &relation.inverse {
                phrases.push((name_words(inverse), true));
            }
            let name_text = words.join(" ");
            lex.phrase_texts.push((index, false, name_text.clone()));
            for (phrase, inverse) in &phrases {
                let text = phrase.join(" ");
                if !phrase.is_empty() && text != name_text {
                    lex.phrase_texts.push((index, *inverse, text));
                }
            }
            for (words, inverse) in phrases.into_iter().filter(|(w, _)| !w.is_empty()) {
                let head = words.iter().rev().find(|w| !is_function_word(w)).cloned().unwrap_or_default();
                let form = forms(&head).iter().find(|f| f.form != Form::Plain).map_or(Form::Plain, |f| f.form);
                let first = words[0].clone();
                lex.phrases.entry(first).or_default().push(Phrase { words, relation: index, inverse, form });
            }
        }
        let mut vocabulary = std::collections::BTreeSet::new();
        for relation in &schema.relations {
            let texts = std::iter::once(&relation.name)
                .chain(&relation.label)
                .chain(&relation.inverse)
                .chain(&relation.aliases);
            vocabulary.extend(texts.flat_map(|t| name_words(t)));
        }
        for entity_type in &schema.entity_types {
            let texts = std::iter::once(&entity_type.name).chain(&entity_type.label).chain(&entity_type.aliases);
            vocabulary.extend(texts.flat_map(|t| name_words(t)));
        }
        lex.vocabulary = vocabulary.into_iter().filter(|w| w.chars().count() >= MIN_CORRECTED_CHARS).collect();
        for (kind, entity_type) in schema.entity_types.iter().enumerate() {
            lex.type_names.push(entity_type.name.clone());
            let texts = std::iter::once(entity_type.name.as_str())
                .chain(entity_type.label.as_deref())
                .chain(entity_type.plural.as_deref())
                .map(|t| (t, false))
                .chain(entity_type.aliases.iter().map(|t| (t.as_str(), true)));
            for (text, alias) in texts {
                let words = name_words(text);
                let stems: Vec<String> = words.iter().map(|w| stem(w)).collect();
                let mut add = |stems: Vec<String>, head: bool| {
                    if let Some(first) = stems.first().cloned()
                        && !is_function_word(&first)
                    {
                        let list = lex.types.entry(first).or_default();
                        if !list.iter().any(|t| t.kind == kind && t.stems == stems) {
                            list.push(TypePhrase { stems, kind, head, alias });
                        }
                    }
                };
                if words.len() > 1 {
                    // "time zone" is also written "timezone", and the other way round.
                    add(vec![stem(&words.concat())], false);
                    if let Some(last) = words.last().filter(|w| w.chars().count() >= MIN_HEAD_CHARS) {
                        add(vec![stem(last)], true);
                    }
                } else if let [word] = &words[..]
                    && word.is_ascii()
                    && word.len() >= 2 * MIN_COMPOUND_PART
                {
                    // A compound written as one word ("timezone"): its tail may be said alone
                    // ("zones").
                    for cut in MIN_COMPOUND_PART..=word.len() - MIN_COMPOUND_PART {
                        add(vec![stem(&word[cut..])], true);
                    }
                }
                add(stems, false);
            }
        }
        lex
    }

    /// Whether the knowledge base has any relation type.
    pub fn is_empty(&self) -> bool {
        self.relations.is_empty()
    }

    /// Relation types known, with their counts.
    pub fn relation_count(&self) -> usize {
        self.relations.len()
    }

    /// The relations `words` (a normalised query) asks about, best first, with the way to
    /// follow each from the linked entities in `mentions`. Words inside a mention are not
    /// read as cues.
    pub fn relation_cues(&self, words: &[&str], mentions: &[Mention<'_>]) -> Vec<LexiconCue> {
        let inside = |i: usize| mentions.iter().any(|m| (m.start..m.end).contains(&i));
        let mut found: Vec<(usize, Candidate)> = Vec::new();

        // Phrases first: a whole name, label, alias or inverse label.
        for i in 0..words.len() {
            if inside(i) {
                continue;
            }
            for phrase in self.phrases.get(words[i]).into_iter().flatten() {
                let n = phrase.words.len();
                if i + n <= words.len() && phrase.words.iter().zip(&words[i..i + n]).all(|(a, b)| a == b) {
                    found.push((
                        phrase.relation,
                        Candidate {
                            at: i,
                            words: phrase.words.join(" "),
                            confidence: 1.0,
                            phrase: Some(phrase.inverse),
                            passive: false,
                            form: phrase.form,
                            verb: false,
                        },
                    ));
                }
            }
        }
        // Then roots of single words: each content word of a relation counts once.
        let mut matched: HashMap<usize, (Vec<usize>, Candidate)> = HashMap::new();
        for (i, word) in words.iter().enumerate() {
            if inside(i) || is_function_word(word) || word.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            for form in forms(word) {
                for cue in self.roots.get(&form.root).into_iter().flatten() {
                    let passive_here = words.get(i + 1) == Some(&"by");
                    let entry = matched.entry(cue.relation).or_insert_with(|| {
                        (
                            Vec::new(),
                            Candidate {
                                at: i,
                                words: (*word).to_string(),
                                confidence: 0.0,
                                phrase: None,
                                passive: passive_here,
                                form: form.form,
                                verb: cue.verb && form.form == Form::Plain,
                            },
                        )
                    });
                    if !entry.0.contains(&cue.word) {
                        entry.0.push(cue.word);
                        // The verb of a relation decides its reading over its nouns.
                        if cue.verb && form.form == Form::Plain {
                            entry.1 = Candidate {
                                at: i,
                                words: (*word).to_string(),
                                passive: passive_here,
                                form: form.form,
                                verb: true,
                                ..entry.1.clone()
                            };
                        } else if entry.1.at != i && !entry.1.words.contains(*word) {
                            entry.1.words = format!("{} {word}", entry.1.words);
                        }
                    }
                }
            }
        }
        for (relation, (words_matched, mut candidate)) in matched {
            candidate.confidence =
                (words_matched.len() as f32 / self.relations[relation].content_words as f32).min(1.0);
            if candidate.confidence >= MIN_CUE_CONFIDENCE && !found.iter().any(|(r, _)| *r == relation) {
                found.push((relation, candidate));
            }
        }

        let mut cues: Vec<LexiconCue> = found
            .into_iter()
            .map(|(relation, candidate)| {
                let entry = &self.relations[relation];
                let (direction, why) = self.direction(entry, &candidate, mentions);
                LexiconCue {
                    at: candidate.at,
                    cue: candidate.words,
                    relation: entry.name.clone(),
                    direction,
                    confidence: candidate.confidence,
                    why,
                }
            })
            .collect();
        cues.sort_by(|a, b| {
            b.confidence.total_cmp(&a.confidence).then_with(|| {
                let count =
                    |c: &LexiconCue| self.relations.iter().find(|r| r.name == c.relation).map_or(0, |r| r.count);
                count(b).cmp(&count(a))
            })
        });
        cues
    }

    /// Which way to follow `entry` from the mentions, and why.
    fn direction(
        &self,
        entry: &RelationEntry,
        cue: &Candidate,
        mentions: &[Mention<'_>],
    ) -> (CueDirection, &'static str) {
        if entry.symmetric {
            return (CueDirection::Both, "symmetric in the data");
        }
        // The data: an entity type seen on one side only.
        let sides: Vec<(bool, bool)> = mentions
            .iter()
            .map(|m| (entry.source_types.iter().any(|t| t == m.kind), entry.target_types.iter().any(|t| t == m.kind)))
            .collect();
        if !sides.is_empty() && sides.iter().all(|&(s, t)| s && !t) {
            return (CueDirection::Out, "the entity's type is a source type");
        }
        if !sides.is_empty() && sides.iter().all(|&(s, t)| t && !s) {
            return (CueDirection::In, "the entity's type is a target type");
        }
        // The sentence: is the (first) entity the doer of the relation?
        let Some(mention) = mentions.first() else {
            return (CueDirection::Both, "no entity to follow it from");
        };
        let before = mention.end <= cue.at;
        // A phrase reads like a sentence about the relation, from its source ("X depends on
        // Y", "X kind of Y", "films directed by Y") or, for the inverse label, from its
        // target ("Y required by X"); an agent-noun alias ("filmmaker") asks for the doer.
        if let Some(inverse) = cue.phrase
            && cue.form != Form::Agent
        {
            let entity_is_source = before != inverse;
            let why =
                if inverse { "the inverse label reads from the target" } else { "the phrase reads from the source" };
            return (if entity_is_source { CueDirection::Out } else { CueDirection::In }, why);
        }
        let doer = match (cue.passive, cue.form) {
            // "films directed by X", "X is made by": the entity after "by" does it.
            (true, _) => Some((!before, "passive: the entity after 'by' is the doer")),
            // "X's director", "director of X": the entity is done to; the answer does it.
            (false, Form::Agent) => Some((false, "agent noun: the answer is the doer")),
            // "dependencies of X", "X's currency": what X has.
            (false, Form::Nominal) => Some((true, "noun: what the entity has")),
            (false, Form::Plain) if !cue.verb => Some((true, "noun: what the entity has")),
            // "what does X depend on" (doer first), "who directed X" (done to).
            (false, Form::Plain) => Some((
                before,
                if before { "verb: the entity before it is the doer" } else { "verb: the entity after it is done to" },
            )),
        };
        let Some((entity_is_doer, why)) = doer else {
            return (CueDirection::Both, "undecided");
        };
        // The doer is the source of an active relation and the target of a passive one.
        let entity_is_source = entity_is_doer != entry.passive;
        (if entity_is_source { CueDirection::Out } else { CueDirection::In }, why)
    }

    /// The relation whose phrases are closest in meaning to `query_vector` (an embedding, by
    /// `embedder`, of the query without its entity mentions), when the closest is at least
    /// [`PARAPHRASE_SIMILARITY`]: the way to ask about a relation in words it was never given.
    /// Direction comes from the entity types, else both ways.
    pub fn paraphrase_cue(
        &self,
        query_vector: &[f32],
        embedder: &dyn crate::exemplars::QueryEmbedder,
        mentions: &[Mention<'_>],
    ) -> Option<LexiconCue> {
        let table = self.embedded.get_or_init(|| {
            self.phrase_texts
                .iter()
                .filter_map(|(r, inverse, text)| embedder.embed(text).and_then(unit).map(|v| (*r, *inverse, v)))
                .collect()
        });
        let q = unit(query_vector.to_vec())?;
        let (relation, _, similarity) = table
            .iter()
            .filter(|(_, _, v)| v.len() == q.len())
            .map(|(r, inverse, v)| (*r, *inverse, v.iter().zip(&q).map(|(a, b)| a * b).sum::<f32>()))
            .max_by(|a, b| a.2.total_cmp(&b.2))?;
        if similarity < PARAPHRASE_SIMILARITY {
            return None;
        }
        let entry = &self.relations[relation];
        let candidate = Candidate {
            at: usize::MAX,
            words: String::new(),
            confidence: similarity,
            phrase: None,
            passive: false,
            form: Form::Nominal,
            verb: false,
        };
        let (direction, why) = match self.direction(entry, &candidate, mentions) {
            (d, why) if why.starts_with("the entity") || why.starts_with("symmetric") => (d, why),
            _ => (CueDirection::Both, "paraphrase: followed both ways"),
        };
        Some(LexiconCue {
            at: usize::MAX,
            cue: format!("similar in meaning ({similarity:.2})"),
            relation: entry.name.clone(),
            direction,
            confidence: similarity,
            why,
        })
    }

    /// Entity types the query names, outside the mentions.
    pub fn type_mentions(&self, words: &[&str], mentions: &[Mention<'_>]) -> Vec<TypeMention> {
        let inside = |i: usize| mentions.iter().any(|m| (m.start..m.end).contains(&i));
        let stems: Vec<String> = words.iter().map(|w| stem(w)).collect();
        let mut out: Vec<TypeMention> = Vec::new();
        let mut i = 0;
        while i < words.len() {
            // Whole names first (the longest), then a name written as one word across two
            // ("time zones" for `timezone`), then the head word of a longer name.
            let whole = self
                .types
                .get(&stems[i])
                .into_iter()
                .flatten()
                .filter(|t| {
                    let n = t.stems.len();
                    i + n <= words.len() && t.stems[..] == stems[i..i + n] && !(i..i + n).any(inside)
                })
                .max_by_key(|t| (!t.head, t.stems.len(), !t.alias))
                .map(|t| (t, t.stems.len()));
            let joined = (i + 1 < words.len() && !inside(i) && !inside(i + 1))
                .then(|| stem(&format!("{}{}", words[i], words[i + 1])))
                .and_then(|s| self.types.get(&s))
                .and_then(|list| list.iter().find(|t| t.stems.len() == 1 && !t.head))
                .map(|t| (t, 2));
            let best = match (whole, joined) {
                (Some((w, n)), _) if !w.head => Some((w, n)),
                (_, Some(j)) => Some(j),
                (w, None) => w,
            };
            match best {
                Some((t, n)) => {
                    let kind = self.type_names[t.kind].clone();
                    if !out.iter().any(|m| m.kind == kind) {
                        out.push(TypeMention { kind, words: words[i..i + n].join(" "), at: i });
                    }
                    i += n;
                }
                None => i += 1,
            }
        }
        out
    }

    /// Relations that connect an entity of type `from` with answers of type `to`, the most
    /// frequent first, with the way to follow each from the entity: what "films by X" or
    /// "X's maintainers" ask when no relation word is said.
    pub fn relations_between(&self, from: &str, to: &str) -> Vec<(String, CueDirection)> {
        let mut found: Vec<(usize, String, CueDirection)> = Vec::new();
        for r in &self.relations {
            let out = r.source_types.iter().any(|t| t == from) && r.target_types.iter().any(|t| t == to);
            let into = r.target_types.iter().any(|t| t == from) && r.source_types.iter().any(|t| t == to);
            let direction = match (out, into) {
                (true, true) => CueDirection::Both,
                (true, false) => CueDirection::Out,
                (false, true) => CueDirection::In,
                (false, false) => continue,
            };
            found.push((r.count, r.name.clone(), direction));
        }
        found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        found.into_iter().map(|(_, name, d)| (name, d)).collect()
    }

    /// The word of this knowledge base's vocabulary one edit away from `word` ("curency" →
    /// "currency"), when `word` is long enough and names nothing itself.
    pub fn correct(&self, word: &str) -> Option<&str> {
        if word.chars().count() < MIN_CORRECTED_CHARS || self.is_question_word(word) {
            return None;
        }
        self.vocabulary.iter().find(|v| *v != word && within_one_edit(word, v)).map(String::as_str)
    }

    /// Whether `word` names a relation or an entity type of this knowledge base: such words
    /// describe the question ("maintainer", "films") rather than name its subject.
    pub fn is_question_word(&self, word: &str) -> bool {
        let s = stem(word);
        self.types.contains_key(&s) || forms(word).iter().any(|f| self.roots.contains_key(&f.root))
    }
}

/// `v` scaled to unit length, or `None` for a zero vector.
fn unit(mut v: Vec<f32>) -> Option<Vec<f32>> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if !norm.is_finite() || norm <= f32::EPSILON {
        return None;
    }
    v.iter_mut().for_each(|x| *x /= norm);
    Some(v)
}

/// A relation cue being read.
#[derive(Debug, Clone)]
struct Candidate {
    at: usize,
    words: String,
    confidence: f32,
    /// Matched as a whole phrase (name, label, alias), and whether it was the inverse label.
    phrase: Option<bool>,
    passive: bool,
    form: Form,
    verb: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{EntityType, RelationType};

    fn relation(name: &str, source: &str, target: &str, count: usize) -> RelationType {
        RelationType {
            source_types: vec![source.into()],
            target_types: vec![target.into()],
            ..RelationType::named(name, count)
        }
    }

    fn lexicon() -> Lexicon {
        let mut borders = relation("borders", "country", "country", 10);
        borders.symmetric = 1.0;
        let mut depends = relation("depends_on", "package", "package", 500);
        depends.inverse = Some("required by".into());
        let mut maintained = relation("maintained_by", "package", "maintainer", 300);
        maintained.inverse = Some("looks after".into());
        Lexicon::compile(&KbSchema {
            relations: vec![
                relation("directed_by", "film", "person", 40),
                depends,
                maintained,
                borders,
                relation("uses_currency", "country", "currency", 100),
                relation("is_a", "concept", "concept", 1000),
            ],
            entity_types: vec![
                EntityType { name: "film".into(), count: 30, ..EntityType::default() },
                EntityType { name: "virtual_package".into(), count: 3, ..EntityType::default() },
                EntityType { name: "package".into(), count: 300, ..EntityType::default() },
            ],
        })
    }

    /// The cues of `query` with one entity of `kind` at the words `span`.
    fn cues(lex: &Lexicon, query: &str, span: (usize, usize), kind: &str) -> Vec<(String, CueDirection)> {
        let words: Vec<&str> = query.split(' ').collect();
        let mention = Mention { start: span.0, end: span.1, kind };
        lex.relation_cues(&words, &[mention]).into_iter().map(|c| (c.relation, c.direction)).collect()
    }

    #[test]
    fn the_data_decides_direction_when_the_type_is_on_one_side() {
        let lex = lexicon();
        let out = vec![("directed_by".to_string(), CueDirection::Out)];
        let into = vec![("directed_by".to_string(), CueDirection::In)];
        assert_eq!(cues(&lex, "who directed ran", (2, 3), "film"), out);
        assert_eq!(cues(&lex, "ran s director", (0, 1), "film"), out);
        assert_eq!(cues(&lex, "what did kurosawa direct", (2, 3), "person"), into);
        assert_eq!(cues(&lex, "films directed by kurosawa", (3, 4), "person"), into);
    }

    #[test]
    fn the_sentence_decides_when_both_ends_have_the_entity_s_type() {
        let lex = lexicon();
        let d = |q: &str, span| cues(&lex, q, span, "package").into_iter().find(|(r, _)| r == "depends_on");
        assert_eq!(d("what does bash depend on", (2, 3)), Some(("depends_on".into(), CueDirection::Out)));
        assert_eq!(d("bash dependencies", (0, 1)), Some(("depends_on".into(), CueDirection::Out)));
        assert_eq!(d("dependencies of bash", (2, 3)), Some(("depends_on".into(), CueDirection::Out)));
        assert_eq!(d("which packages depend on bash", (4, 5)), Some(("depends_on".into(), CueDirection::In)));
        assert_eq!(d("what is libc required by", (2, 3)), Some(("depends_on".into(), CueDirection::In)));
        assert_eq!(d("libc is required by what", (0, 1)), Some(("depends_on".into(), CueDirection::In)));
        assert_eq!(d("what requires libc", (2, 3)), None, "no relation word: 'requires' is not named");
        assert_eq!(
            cues(&lex, "which countries border kenya", (3, 4), "country"),
            vec![("borders".into(), CueDirection::Both)]
        );
    }

    #[test]
    fn aliases_labels_and_partial_names_are_cues() {
        let lex = lexicon();
        assert_eq!(
            cues(&lex, "who looks after bash", (3, 4), "package"),
            vec![("maintained_by".into(), CueDirection::Out)]
        );
        assert_eq!(cues(&lex, "who is the maintainer of bash", (5, 6), "package")[0].0, "maintained_by");
        assert_eq!(
            cues(&lex, "currency of japan", (2, 3), "country"),
            vec![("uses_currency".into(), CueDirection::Out)]
        );
        let words: Vec<&str> = "what is a whale".split(' ').collect();
        assert!(lex.relation_cues(&words, &[]).iter().any(|c| c.relation == "is_a" && c.confidence == 1.0));
        assert!(cues(&lex, "what time is it", (9, 9), "x").is_empty());
    }

    #[test]
    fn types_are_named_by_their_words_and_plurals() {
        let lex = lexicon();
        let words: Vec<&str> = "which virtual packages provide mail".split(' ').collect();
        let types = lex.type_mentions(&words, &[]);
        assert_eq!(types.iter().map(|t| t.kind.as_str()).collect::<Vec<_>>(), vec!["virtual_package"]);
        let words: Vec<&str> = "films by kurosawa".split(' ').collect();
        assert_eq!(lex.type_mentions(&words, &[])[0].kind, "film");
        // A two-word name written as one, one written as two, and a head word alone.
        let kinds = |q: &str| {
            let words: Vec<&str> = q.split(' ').collect();
            lex.type_mentions(&words, &[]).into_iter().map(|t| t.kind).collect::<Vec<_>>()
        };
        assert_eq!(kinds("virtualpackages of mail"), vec!["virtual_package".to_string()]);
        assert_eq!(kinds("time zones of chile"), Vec::<String>::new(), "no such type here");
        let zones = Lexicon::compile(&KbSchema {
            relations: vec![],
            entity_types: vec![EntityType { name: "timezone".into(), count: 5, ..EntityType::default() }],
        });
        let kinds = |q: &str| {
            let words: Vec<&str> = q.split(' ').collect();
            zones.type_mentions(&words, &[]).into_iter().map(|t| t.kind).collect::<Vec<_>>()
        };
        for q in ["time zones of chile", "timezones of chile", "zones of chile"] {
            assert_eq!(kinds(q), vec!["timezone".to_string()], "{q}");
        }
        assert_eq!(lex.relations_between("person", "film"), vec![("directed_by".into(), CueDirection::In)]);
        // An alias that stems like another type's own plural does not take it.
        let packages = Lexicon::compile(&KbSchema {
            relations: vec![],
            entity_types: vec![
                EntityType { name: "package".into(), count: 5, ..EntityType::default() },
                EntityType {
                    name: "maintainer".into(),
                    count: 5,
                    aliases: vec!["packager".into()],
                    ..EntityType::default()
                },
            ],
        });
        let words: Vec<&str> = "packages that recommend curl".split(' ').collect();
        assert_eq!(packages.type_mentions(&words, &[])[0].kind, "package");
        assert!(lex.is_question_word("films") && lex.is_question_word("director") && !lex.is_question_word("kurosawa"));
    }

    #[test]
    fn names_split_into_words() {
        assert_eq!(name_words("directed_by"), vec!["directed", "by"]);
        assert_eq!(name_words("hasPart"), vec!["has", "part"]);
        assert_eq!(name_words("official language"), vec!["official", "language"]);
    }
}
