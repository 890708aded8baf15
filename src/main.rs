//! The `braid` command line: demo, serve, ingest, query, route, mcp, router fit/eval, index
//! rebuild/checkpoint, cache-embeddings. Each group of commands is a module of [`cli`].

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use braid::config::ConfigFile;
use braid_router::Route;
use clap::{Parser, Subcommand};

mod cli;

use cli::index::IndexCommand;
use cli::ingest::IngestArgs;
use cli::model::ModelCommand;
use cli::router::RouterCommand;
use cli::serve::ServeArgs;
use cli::{DataArg, Lifetime};

#[derive(Parser)]
#[command(name = "braid", version, about = "A hybrid graph + vector + web knowledge router")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load the bundled atlas demo (into a fresh temp dir unless --data names one) and serve it.
    Demo(ServeArgs),
    /// Serve the REST API.
    Serve(ServeArgs),
    /// Import JSON Lines files and folders of documents (Markdown, HTML, text, PDF) and
    /// images, kept in sync: a second run only touches what changed.
    Ingest(IngestArgs),
    /// Answer one query.
    Query {
        #[command(flatten)]
        data: DataArg,
        /// How many results.
        #[arg(long, default_value_t = 10)]
        k: usize,
        /// Force a route (repeatable): graph, vector or web.
        #[arg(long = "route")]
        routes: Vec<Route>,
        /// Include the decision trace.
        #[arg(long)]
        explain: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// The query.
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
    },
    /// Print the routing plan of a query.
    Route {
        #[command(flatten)]
        data: DataArg,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// The query.
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
    },
    /// Serve MCP (Model Context Protocol) over stdin/stdout.
    Mcp {
        #[command(flatten)]
        data: DataArg,
    },
    /// Train or evaluate the routing policy.
    #[command(subcommand)]
    Router(RouterCommand),
    /// Manage the vector index.
    #[command(subcommand)]
    Index(IndexCommand),
    /// Download model weights into the Hugging Face cache.
    #[command(subcommand)]
    Model(ModelCommand),
    /// Embed what importing PATHS would embed (documents, passages, captions and the router's
    /// exemplar queries) with the active embedder and write an embedding cache file. `braid
    /// demo` reads the atlas's `embeddings/*.emb`, so it starts without embedding it again.
    CacheEmbeddings {
        /// Where to write the cache, e.g. examples/data/atlas/embeddings/minilm-384.emb.
        #[arg(long)]
        out: PathBuf,
        /// Config file (TOML) choosing the embedder.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Files or folders to embed, as for `braid ingest`.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

fn main() {
    let filter = std::env::var("BRAID_LOG").unwrap_or_else(|_| "info,tower_http=warn".into());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&filter).unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        // Colour codes only on a terminal: logs redirected to files stay plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    if let Err(e) = run(Cli::parse()) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Demo(args) => cli::serve::demo(args),
        Command::Serve(args) => cli::serve::serve_command(args),
        Command::Ingest(args) => cli::ingest::ingest(&args),
        Command::Query { data, k, routes, explain, json, text } => {
            cli::ask::query(&data, k, routes, explain, json, &text)
        }
        Command::Route { data, json, text } => cli::ask::route(&data, json, &text),
        Command::Mcp { data } => {
            let cfg = ConfigFile::load(data.config.as_deref())?;
            let kb = Arc::new(cli::open(&data.data, &cfg, Lifetime::Server)?);
            let ctx = braid::tools::ToolContext { kb: kb.clone(), metrics: None };
            cli::runtime()?.block_on(braid::mcp::serve_stdio(ctx))?;
            kb.close();
            Ok(())
        }
        Command::Router(cmd) => cli::router::router_command(cmd),
        Command::Index(cmd) => cli::index::index_command(cmd),
        Command::Model(cmd) => cli::model::model_command(cmd),
        Command::CacheEmbeddings { out, config, paths } => {
            cli::ingest::cache_embeddings(&out, config.as_deref(), &paths)
        }
    }
}
