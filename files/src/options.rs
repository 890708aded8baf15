//! What to read and how: the roots and the [`ReadOptions`].

use std::path::PathBuf;
use std::time::Duration;

/// A folder (or single file) to read, and the prefix its ids get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    /// The folder or file.
    pub path: PathBuf,
    /// Put before every id from this root (e.g. `docs/`); empty by default. Two roots that
    /// hold the same relative path need different prefixes, or the second is reported as a
    /// duplicate.
    pub id_prefix: String,
}

impl Root {
    /// A root whose ids are the paths relative to it. A single file's id is its file name.
    pub fn new(path: impl Into<PathBuf>) -> Root {
        Root { path: path.into(), id_prefix: String::new() }
    }

    /// The same root with `prefix` before every id.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Root {
        self.id_prefix = prefix.into();
        self
    }
}

/// How to walk and read. `ReadOptions::default()` is what `braid ingest` does with no flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// Globs a file must match to be read (`--include`); none means every file. A glob
    /// without `/` matches the file name at any depth (`*.md`); one with `/` matches the
    /// path relative to the root (`book/**/*.md`). Folders are always entered.
    pub include: Vec<String>,
    /// Globs that remove files and whole folders (`--exclude`), matched as `include` is;
    /// exclusion wins over inclusion.
    pub exclude: Vec<String>,
    /// Read hidden files and folders (names starting with `.`). Default `false`.
    pub hidden: bool,
    /// Honour `.gitignore` (in and outside git repositories), `.ignore`, `.git/info/exclude`
    /// and the global git excludes. Default `true`.
    pub ignore_files: bool,
    /// Follow symbolic links; loops are detected and reported. Default `true`.
    pub follow_symlinks: bool,
    /// Files larger than this are refused from their metadata without being read; records
    /// files are exempt because they are hashed while streaming and parsed by the caller.
    /// Default 64 MiB: a large book as a PDF, well above any plausible Markdown or HTML page.
    pub max_file_size: u64,
    /// How long a PDF's text extraction may take before it is abandoned. Default 30 s.
    pub pdf_timeout: Duration,
    /// Worker threads for walking and reading; 0 means one per available CPU. Default 0.
    pub threads: usize,
    /// Leave out HTML pages that ask search engines not to index them (`<meta name="robots"
    /// content="noindex">`) and pages that only redirect (`<meta http-equiv="refresh">`),
    /// each reported with its [`SkipReason`](crate::SkipReason). Generated documentation is
    /// full of both: mdBook's `print.html` repeats the whole book, and every renamed chapter
    /// leaves a redirect stub. Default `true`.
    pub honour_noindex: bool,
}

impl Default for ReadOptions {
    fn default() -> ReadOptions {
        ReadOptions {
            include: Vec::new(),
            exclude: Vec::new(),
            hidden: false,
            ignore_files: true,
            follow_symlinks: true,
            max_file_size: 64 * 1024 * 1024,
            pdf_timeout: Duration::from_secs(30),
            threads: 0,
            honour_noindex: true,
        }
    }
}
