//! The parser on two small knowledge bases of different domains (places, packages): every
//! class of question compiles to the plan expected, and the graph answers it exactly.

use braid_compose::{NotComposed, Vocabulary, compose};
use braid_graph::plan::{GraphPlan, Limits, PlanOutput};
use braid_graph::{Entity, Graph, Relation};
use braid_router::{EntityLinker, EntityType, KbSchema, Lexicon, LinkedEntity, RelationType};

struct Linker<'a>(&'a Graph);

impl EntityLinker for Linker<'_> {
    fn link(&self, text: &str) -> Vec<LinkedEntity> {
        self.0
            .link(text)
            .into_iter()
            .map(|l| LinkedEntity {
                id: l.entity_id,
                name: l.name,
                kind: l.kind,
                mention: l.mention,
                confidence: l.confidence,
                method: format!("{:?}", l.method).to_lowercase(),
            })
            .collect()
    }
}

/// A knowledge base: its graph and the words its schema records give relations and types.
struct Kb {
    graph: Graph,
    lexicon: Lexicon,
}

impl Kb {
    fn new(graph: Graph, relation_words: &[(&str, &[&str])], type_words: &[(&str, &str)]) -> Kb {
        let stats = graph.schema_stats();
        let schema = KbSchema {
            relations: stats
                .relations
                .iter()
                .map(|r| RelationType {
                    aliases: relation_words
                        .iter()
                        .filter(|(n, _)| *n == r.name)
                        .flat_map(|(_, w)| w.iter().map(|s| s.to_string()))
                        .collect(),
                    source_types: r.source_types.iter().map(|(t, _)| t.clone()).collect(),
                    target_types: r.target_types.iter().map(|(t, _)| t.clone()).collect(),
                    symmetric: r.symmetric,
                    ..RelationType::named(r.name.clone(), r.count)
                })
                .collect(),
            entity_types: stats
                .entity_types
                .iter()
                .map(|t| EntityType {
                    name: t.name.clone(),
                    count: t.count,
                    plural: type_words.iter().find(|(n, _)| *n == t.name).map(|(_, p)| p.to_string()),
                    ..EntityType::default()
                })
                .collect(),
        };
        Kb { lexicon: Lexicon::compile(&schema), graph }
    }

    fn plan(&self, question: &str) -> Result<GraphPlan, NotComposed> {
        let stats = self.graph.schema_stats();
        compose(question, &Linker(&self.graph), &self.lexicon, &stats, &Vocabulary::new(&stats)).map(|c| c.plan)
    }

    /// The plan as a line and what it evaluates to (entity ids sorted, or the value).
    fn ask(&self, question: &str) -> (String, String) {
        let plan = match self.plan(question) {
            Ok(p) => p,
            Err(e) => return (format!("not composed: {e}"), String::new()),
        };
        let out = match self.graph.execute(&plan, &Limits::default()) {
            Ok(PlanOutput::Entities(m)) => {
                let mut ids: Vec<String> = m.into_iter().map(|m| m.id).collect();
                ids.sort();
                ids.join(",")
            }
            Ok(other) => format!("{other:?}"),
            Err(e) => format!("error: {e}"),
        };
        (self.graph.describe_plan(&plan), out)
    }
}

fn add(g: &mut Graph, id: &str, name: &str, kind: &str, props: serde_json::Value) {
    let mut e = Entity::new(id, name, kind);
    e.props = props.as_object().cloned().unwrap_or_default();
    g.upsert_entity(e).expect("entity");
}

fn rel(g: &mut Graph, s: &str, r: &str, t: &str) {
    g.add_relation(Relation::new(s, r, t)).expect("relation");
}

fn places() -> Kb {
    let mut g = Graph::new();
    use serde_json::json;
    add(&mut g, "ken", "Kenya", "country", json!({"area_km2": 580367, "population": 53, "landlocked": false}));
    add(&mut g, "tza", "Tanzania", "country", json!({"area_km2": 947303, "population": 61, "landlocked": false}));
    add(&mut g, "uga", "Uganda", "country", json!({"area_km2": 241550, "population": 45, "landlocked": true}));
    add(&mut g, "rwa", "Rwanda", "country", json!({"area_km2": 26338, "population": 13, "landlocked": true}));
    add(&mut g, "fra", "France", "country", json!({"area_km2": 551695, "population": 68, "landlocked": false}));
    add(&mut g, "tzs", "Tanzanian shilling", "currency", json!({}));
    add(&mut g, "ugx", "Ugandan shilling", "currency", json!({}));
    add(&mut g, "kes", "Kenyan shilling", "currency", json!({}));
    add(&mut g, "eur", "Euro", "currency", json!({}));
    add(&mut g, "east", "Eastern Africa", "subregion", json!({}));
    add(&mut g, "west", "Western Europe", "subregion", json!({}));
    add(&mut g, "africa", "Africa", "region", json!({}));
    add(&mut g, "europe", "Europe", "region", json!({}));
    add(&mut g, "nbo", "Nairobi", "city", json!({"population": 4}));
    add(&mut g, "dar", "Dodoma", "city", json!({"population": 1}));
    add(&mut g, "kla", "Kampala", "city", json!({"population": 2}));
    add(&mut g, "par", "Paris", "city", json!({"population": 2}));
    for (a, b) in [("ken", "tza"), ("ken", "uga"), ("tza", "uga"), ("uga", "rwa"), ("tza", "rwa")] {
        rel(&mut g, a, "borders", b);
        rel(&mut g, b, "borders", a);
    }
    for (c, m) in [("ken", "kes"), ("tza", "tzs"), ("uga", "ugx"), ("fra", "eur"), ("rwa", "eur")] {
        rel(&mut g, c, "uses_currency", m);
    }
    for (c, s) in [("ken", "east"), ("tza", "east"), ("uga", "east"), ("rwa", "east"), ("fra", "west")] {
        rel(&mut g, c, "part_of", s);
    }
    rel(&mut g, "east", "part_of", "africa");
    rel(&mut g, "west", "part_of", "europe");
    for (c, city) in [("ken", "nbo"), ("tza", "dar"), ("uga", "kla"), ("fra", "par")] {
        rel(&mut g, c, "capital", city);
        rel(&mut g, city, "located_in", c);
    }
    Kb::new(
        g,
        &[("borders", &["neighbours", "next to"]), ("uses_currency", &["currency"]), ("capital", &["capital city"])],
        &[("country", "countries"), ("currency", "currencies"), ("city", "cities")],
    )
}

#[test]
fn chains_and_inverse_chains() {
    let kb = places();
    assert_eq!(
        kb.ask("what currency do the countries bordering Kenya use"),
        ("borders(Kenya) → uses_currency".into(), "tzs,ugx".into())
    );
    assert_eq!(
        kb.ask("capitals of the countries next to Rwanda"),
        ("borders(Rwanda) → capital".into(), "dar,kla".into())
    );
    assert_eq!(
        kb.ask("what currency does the country with capital Nairobi use"),
        ("capital⁻¹(Nairobi) → uses_currency".into(), "kes".into())
    );
    assert_eq!(
        kb.ask("which countries border the country whose capital is Kampala"),
        ("capital⁻¹(Kampala) → borders".into(), "ken,rwa,tza".into())
    );
}

#[test]
fn sets_negation_and_filters() {
    let kb = places();
    assert_eq!(
        kb.ask("countries bordering both Kenya and Rwanda"),
        ("borders(Kenya) ∩ borders(Rwanda)".into(), "tza,uga".into())
    );
    // A place adjective is the place; a type and a region imply the relation between them.
    assert_eq!(
        kb.ask("African countries that do not use the euro"),
        ("part_of⁻¹*(Africa) [country] − uses_currency⁻¹(Euro)".into(), "ken,tza,uga".into())
    );
    assert_eq!(kb.ask("landlocked countries in Africa").1, "rwa,uga");
    // "but not Kenya": Kenya's relation, and Kenya itself, taken away.
    assert_eq!(
        kb.ask("countries bordering Uganda but not Kenya"),
        ("borders(Uganda) − (borders(Kenya) ∪ Kenya)".into(), "rwa".into())
    );
    assert_eq!(kb.ask("African countries that are not landlocked").1, "ken,tza");
    assert_eq!(
        kb.ask("countries with more than 50 people"),
        ("every country where population > 50".into(), "fra,ken,tza".into())
    );
    assert_eq!(kb.ask("countries smaller than 300k km2").1, "rwa,uga");
}

#[test]
fn counts_rankings_comparisons_and_yes_no() {
    let kb = places();
    assert_eq!(kb.ask("how many countries border Uganda"), ("count(borders(Uganda))".into(), "Count(3)".into()));
    assert_eq!(kb.ask("how many countries are in Africa").1, "Count(4)");
    assert_eq!(
        kb.ask("largest country in Africa"),
        ("top 1 by area_km2 of part_of⁻¹*(Africa) [country]".into(), "tza".into())
    );
    assert_eq!(kb.ask("least populous country in Africa").1, "rwa");
    assert_eq!(kb.ask("which African country has the largest population").1, "tza");
    assert_eq!(kb.ask("top 2 most populous countries in Africa").1, "ken,tza");
    assert_eq!(kb.ask("the two smallest countries in Africa by area").1, "rwa,uga");
    assert_eq!(kb.ask("which country has the most neighbours").1, "tza,uga");
    assert_eq!(kb.ask("is Kenya bigger than Uganda").1, "Boolean(true)");
    assert_eq!(kb.ask("is Rwanda more populous than France").1, "Boolean(false)");
    assert_eq!(kb.ask("which is larger, Kenya or Tanzania").1, "tza");
    assert_eq!(kb.ask("does Kenya border Uganda").1, "Boolean(true)");
    assert_eq!(kb.ask("does Kenya border Rwanda").1, "Boolean(false)");
    assert_eq!(kb.ask("is Rwanda landlocked").1, "Boolean(true)");
    assert_eq!(kb.ask("what is the population of Kenya"), ("population(Kenya)".into(), "Number(53.0)".into()));
    assert_eq!(kb.ask("how big is Rwanda").1, "Number(26338.0)");
    assert_eq!(kb.ask("how many people live in Kenya").1, "Number(53.0)");
    assert_eq!(kb.ask("which has more people: Kenya or Tanzania").1, "tza");
    // A ranking inside a chain ranks where the chain passes through the type it names.
    assert_eq!(
        kb.ask("capital of the largest country in Africa"),
        ("top 1 by area_km2 of part_of⁻¹*(Africa) [country] → capital".into(), "dar".into())
    );
    assert_eq!(
        kb.ask("which countries border Kenya or Rwanda"),
        ("borders(Kenya) ∪ borders(Rwanda)".into(), "tza,uga".into())
    );
}

#[test]
fn what_is_not_composed_says_why() {
    let kb = places();
    assert_eq!(kb.plan("which countries border Kenya"), Err(NotComposed::OneHop));
    assert_eq!(kb.plan("pictures of koalas"), Err(NotComposed::NoStart));
    assert!(matches!(kb.plan("oldest country in Africa"), Err(NotComposed::NoProperty(_))));
    // "don't know" denies nothing the question asks about.
    assert_eq!(kb.plan("I don't know which countries border Kenya"), Err(NotComposed::OneHop));
    // Fifty entities, or a chain of a hundred "of the".
    let many = ["Kenya", "Uganda", "Rwanda", "Tanzania", "France"].repeat(10).join(" and ");
    assert!(matches!(kb.plan(&format!("countries bordering {many}")), Err(NotComposed::Unsupported(_))));
    let deep = format!("{}Kenya", "the capital of the neighbours of ".repeat(100));
    let (line, out) = kb.ask(&deep);
    assert!(line.matches('→').count() <= braid_compose::MAX_HOPS, "{line}");
    assert!(!out.starts_with("error"), "{out}");
}

fn packages() -> Kb {
    let mut g = Graph::new();
    use serde_json::json;
    add(&mut g, "bash", "bash", "package", json!({"installed_size_kib": 7000, "essential": true}));
    add(&mut g, "libc6", "libc6", "package", json!({"installed_size_kib": 12000, "essential": false}));
    add(&mut g, "coreutils", "coreutils", "package", json!({"installed_size_kib": 18000, "essential": true}));
    add(&mut g, "vim", "vim", "package", json!({"installed_size_kib": 3900, "essential": false}));
    add(&mut g, "ncurses", "libtinfo6", "package", json!({"installed_size_kib": 600, "essential": false}));
    add(&mut g, "doko", "Matthias Klose", "maintainer", json!({}));
    add(&mut g, "glibc", "GNU Libc Maintainers", "maintainer", json!({}));
    for (p, d) in [("bash", "libc6"), ("bash", "ncurses"), ("coreutils", "libc6"), ("vim", "libc6"), ("vim", "ncurses")]
    {
        rel(&mut g, p, "depends_on", d);
    }
    for (p, m) in [("bash", "doko"), ("coreutils", "doko"), ("libc6", "glibc"), ("vim", "doko"), ("ncurses", "glibc")] {
        rel(&mut g, p, "maintained_by", m);
    }
    Kb::new(g, &[], &[])
}

#[test]
fn another_domain_with_no_schema_records() {
    let kb = packages();
    assert_eq!(kb.ask("how many packages depend on libc6").1, "Count(3)");
    assert_eq!(kb.ask("essential packages that depend on libc6").1, "bash,coreutils");
    assert_eq!(kb.ask("packages that depend on libc6 but not on libtinfo6").1, "coreutils");
    assert_eq!(kb.ask("largest package maintained by Matthias Klose").1, "coreutils");
    assert_eq!(kb.ask("maintainers of the packages that bash depends on").1, "glibc");
    assert_eq!(kb.ask("is vim bigger than bash").1, "Boolean(false)");
}
