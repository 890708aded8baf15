//! # braid
//!
//! The edges of Braid: the command line, REST, MCP, the OpenAPI description, access and
//! limits, metrics and the web playground, around the knowledge base of [`braid_kb`]. A
//! program that embeds Braid uses [`braid_kb`] directly; this package is what serves it.
//!
//! The house, floor by floor (each module depends only on the ones above it in this list):
//! - [`config`]: `braid.toml` and the environment, turned into the knowledge base's options.
//! - [`http`]: HTTP plumbing that knows no endpoint: errors, JSON bodies, access, state,
//!   the shape of an endpoint.
//! - [`blocking`], [`metrics`], [`tools`]: blocking work off the runtime, the registry, the
//!   agent tools (no HTTP).
//! - [`api`]: the endpoint table, in groups; [`mcp`]: the tools over MCP.
//! - [`openapi`] renders the table; [`server`] routes and guards it; [`ui`] is the playground.
//!
//! ```
//! let endpoints = braid::api::endpoints();
//! let doc = braid::openapi::document(&endpoints);
//! assert!(doc["paths"]["/v1/query"]["post"].is_object());
//! ```

pub mod api;
pub mod blocking;
pub mod config;
pub mod http;
pub mod mcp;
pub mod metrics;
pub mod openapi;
pub mod server;
pub mod tools;
pub mod ui;

/// Where the bundled atlas demo knowledge base lives: `BRAID_ATLAS`, `examples/data/atlas`
/// below the working directory, or the source tree this binary was built from.
pub fn find_atlas() -> Option<std::path::PathBuf> {
    let candidates = [
        std::env::var_os("BRAID_ATLAS").map(std::path::PathBuf::from),
        Some(std::path::PathBuf::from("examples/data/atlas")),
        Some(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/atlas")),
    ];
    candidates.into_iter().flatten().find(|p| p.join("entities.jsonl").is_file())
}

#[cfg(test)]
mod house {
    //! The walls of the house, checked: the knowledge-base crate takes no HTTP server crate,
    //! and the modules of this package import each other without a cycle.

    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
    }

    #[test]
    fn the_knowledge_base_depends_on_no_http_server_crate() {
        let manifest = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("kb/Cargo.toml"));
        let deps = manifest.split("[dependencies]").nth(1).unwrap_or_default();
        let deps = deps.split("\n[").next().unwrap_or_default();
        for forbidden in ["axum", "tower", "tower-http", "rmcp", "hyper"] {
            assert!(
                !deps.lines().any(|l| l.trim_start().starts_with(&format!("{forbidden} "))
                    || l.trim_start().starts_with(&format!("{forbidden}."))),
                "kb/Cargo.toml depends on {forbidden}"
            );
        }
    }

    /// Top-level module → the top-level modules its code (not its comments or tests) names.
    fn module_imports() -> BTreeMap<String, BTreeSet<String>> {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut imports: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut stack = vec![src.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("listing src").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let rel = path.strip_prefix(&src).expect("below src").to_string_lossy().replace('\\', "/");
                if !rel.ends_with(".rs") || rel == "lib.rs" || rel == "main.rs" || rel.starts_with("cli/") {
                    continue;
                }
                let top = rel.trim_end_matches(".rs").split('/').next().unwrap_or_default().to_string();
                let text = read(&path);
                let code = text.split("#[cfg(test)]").next().unwrap_or_default();
                let names = imports.entry(top.clone()).or_default();
                for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
                    for part in line.split("crate::").skip(1) {
                        let name: String =
                            part.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                        if name != top && !name.is_empty() {
                            names.insert(name);
                        }
                    }
                }
            }
        }
        imports
    }

    #[test]
    fn the_modules_of_the_package_import_each_other_without_a_cycle() {
        let imports = module_imports();
        assert!(imports.len() >= 8, "{imports:?}");
        for start in imports.keys() {
            let mut seen = BTreeSet::new();
            let mut todo: Vec<&String> = imports[start].iter().collect();
            while let Some(m) = todo.pop() {
                assert_ne!(m, start, "{start} reaches itself through its imports: {imports:?}");
                if seen.insert(m.clone()) {
                    todo.extend(imports.get(m).into_iter().flatten());
                }
            }
        }
    }
}
