//! Walking a root with the `ignore` crate (ripgrep's walker), in parallel, and accounting
//! for everything it leaves out.
//!
//! `ignore` silently drops what `.gitignore` and friends exclude. To count those entries
//! without re-implementing its matching, every folder the walk entered is listed once more
//! afterwards and whatever in it was neither yielded nor skipped for another reason is
//! counted as ignored. An ignored folder counts once: nothing below it is visited. Hidden
//! entries and the include/exclude globs are handled here rather than by `ignore`, because
//! its override globs win over ignore files (`--include '*.md'` would bring back a
//! git-ignored `.md`), whereas here include only ever narrows.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use ignore::{WalkBuilder, WalkState};

use crate::error::{ConfigError, FileError};
use crate::options::{ReadOptions, Root};
use crate::outcome::{FileFailure, SkipReason, SkippedFile};

/// The include and exclude globs, compiled.
#[derive(Debug)]
pub(crate) struct PathFilter {
    include: Globs,
    exclude: Globs,
}

/// Globs without `/` match file names; globs with `/` match relative paths, where `*`
/// stops at `/` and `**` crosses folders (as in `.gitignore`).
#[derive(Debug)]
struct Globs {
    names: GlobSet,
    paths: GlobSet,
    len: usize,
}

impl Globs {
    fn new(globs: &[String]) -> Result<Globs, ConfigError> {
        let mut names = GlobSetBuilder::new();
        let mut paths = GlobSetBuilder::new();
        for glob in globs {
            let pattern = glob.trim_start_matches("./").trim_start_matches('/');
            let is_path = pattern.contains('/');
            let compiled = GlobBuilder::new(pattern)
                .literal_separator(is_path)
                .build()
                .map_err(|source| ConfigError::InvalidGlob { glob: glob.clone(), source })?;
            if is_path {
                paths.add(compiled)
            } else {
                names.add(compiled)
            };
        }
        let build = |b: GlobSetBuilder, glob: &str| {
            b.build().map_err(|source| ConfigError::InvalidGlob { glob: glob.to_owned(), source })
        };
        let all = globs.join(", ");
        Ok(Globs { names: build(names, &all)?, paths: build(paths, &all)?, len: globs.len() })
    }

    fn matches(&self, relative: &str, name: &str) -> bool {
        self.names.is_match(name) || self.paths.is_match(relative)
    }
}

impl PathFilter {
    pub(crate) fn new(options: &ReadOptions) -> Result<PathFilter, ConfigError> {
        Ok(PathFilter { include: Globs::new(&options.include)?, exclude: Globs::new(&options.exclude)? })
    }

    /// Why the entry at `relative` is left out, if it is. Include globs apply to files only,
    /// so that every folder is entered to look for matching files.
    fn verdict(&self, relative: &str, name: &str, is_dir: bool) -> Option<SkipReason> {
        let excluded = self.exclude.matches(relative, name)
            || (!is_dir && self.include.len > 0 && !self.include.matches(relative, name));
        excluded.then_some(SkipReason::Excluded)
    }
}

/// A file the walk yields, to be read.
#[derive(Debug)]
pub(crate) struct FileEntry {
    pub(crate) path: PathBuf,
    /// The path relative to the root, `/`-separated (for a file root, its file name).
    pub(crate) relative: String,
}

/// What a walk left out and could not enter; the files it found went to the visitor.
#[derive(Debug, Default)]
pub(crate) struct WalkReport {
    pub(crate) skipped: Vec<SkippedFile>,
    pub(crate) failures: Vec<FileFailure>,
}

/// Walks `root`, calling `visit` for every regular file from several threads at once.
pub(crate) fn walk_root(
    root: &Root,
    options: &ReadOptions,
    filter: &Arc<PathFilter>,
    threads: usize,
    visit: &(dyn Fn(FileEntry) + Sync),
) -> WalkReport {
    let skipped = Arc::new(Mutex::new(Vec::new()));
    let mut builder = WalkBuilder::new(&root.path);
    builder
        .threads(threads)
        .hidden(false)
        .parents(options.ignore_files)
        .ignore(options.ignore_files)
        .git_ignore(options.ignore_files)
        .git_global(options.ignore_files)
        .git_exclude(options.ignore_files)
        // A .gitignore means the same to a reader whether or not the folder is a repository.
        .require_git(false)
        .follow_links(options.follow_symlinks);
    {
        let filter = Arc::clone(filter);
        let skipped = Arc::clone(&skipped);
        let root_path = root.path.clone();
        let hidden = options.hidden;
        builder.filter_entry(move |dent| {
            if dent.depth() == 0 {
                return true;
            }
            let name = dent.file_name().to_string_lossy();
            let reason = if !hidden && name.starts_with('.') {
                Some(SkipReason::Hidden)
            } else {
                let relative = dent.path().strip_prefix(&root_path).map(slash_path).unwrap_or_default();
                let is_dir = dent.file_type().is_some_and(|t| t.is_dir());
                filter.verdict(&relative, &name, is_dir)
            };
            match reason {
                Some(reason) => {
                    lock(&skipped).push(SkippedFile { path: dent.path().to_path_buf(), reason });
                    false
                }
                None => true,
            }
        });
    }

    let seen: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    let dirs: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    let failures: Mutex<Vec<FileFailure>> = Mutex::new(Vec::new());
    builder.build_parallel().run(|| {
        Box::new(|entry| {
            let dent = match entry {
                Ok(dent) => dent,
                Err(err) => {
                    let (path, error) = FileError::from_walk(err);
                    let path = path.unwrap_or_else(|| root.path.clone());
                    lock(&seen).push(path.clone());
                    lock(&failures).push(FileFailure { path, id: None, error });
                    return WalkState::Continue;
                }
            };
            let path = dent.path().to_path_buf();
            lock(&seen).push(path.clone());
            let file_type = dent.file_type();
            if file_type.is_some_and(|t| t.is_dir()) {
                lock(&dirs).push(path);
            } else if file_type.is_some_and(|t| t.is_file()) {
                match relative_id_path(&root.path, &path, dent.depth()) {
                    Some(relative) => visit(FileEntry { path, relative }),
                    None => lock(&failures).push(FileFailure { path, id: None, error: FileError::NonUtf8Path }),
                }
            } else {
                // FIFOs, sockets, devices: opening a FIFO would block the read forever.
                lock(&skipped).push(SkippedFile { path, reason: SkipReason::Unsupported });
            }
            WalkState::Continue
        })
    });

    let mut skipped = std::mem::take(&mut *lock(&skipped));
    let seen: HashSet<PathBuf> = seen
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .into_iter()
        .chain(skipped.iter().map(|s| s.path.clone()))
        .collect();
    for dir in dirs.into_inner().unwrap_or_else(PoisonError::into_inner) {
        // A folder that vanished or cannot be listed now was reported by the walk, if at all.
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if !seen.contains(&path) {
                skipped.push(SkippedFile { path, reason: SkipReason::Ignored });
            }
        }
    }
    WalkReport { skipped, failures: failures.into_inner().unwrap_or_else(PoisonError::into_inner) }
}

/// The `/`-separated path of `path` below `root`; for a root that is itself a file, its
/// name. `None` if it is not valid UTF-8.
fn relative_id_path(root: &Path, path: &Path, depth: usize) -> Option<String> {
    if depth == 0 {
        return path.file_name()?.to_str().map(String::from);
    }
    let relative = path.strip_prefix(root).ok()?;
    let parts: Option<Vec<&str>> = relative
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_str()),
            _ => None,
        })
        .collect();
    Some(parts?.join("/"))
}

/// A relative path with `/` separators, lossy (for glob matching only).
fn slash_path(relative: &Path) -> String {
    relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// Locks a mutex, carrying on if another worker panicked while holding it: the data is a
/// list that is only ever appended to, so it is never left half-changed.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(include: &[&str], exclude: &[&str]) -> PathFilter {
        let options = ReadOptions {
            include: include.iter().map(|s| s.to_string()).collect(),
            exclude: exclude.iter().map(|s| s.to_string()).collect(),
            ..ReadOptions::default()
        };
        match PathFilter::new(&options) {
            Ok(f) => f,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn include_narrows_files_and_exclude_wins() {
        let f = filter(&["*.md", "book/**/*.html"], &["drafts", "book/old/*"]);
        let keep = |rel: &str, dir: bool| f.verdict(rel, rel.rsplit('/').next().unwrap_or(rel), dir).is_none();
        assert!(keep("a/b/readme.md", false));
        assert!(keep("book/x/y.html", false));
        assert!(!keep("top.html", false), "not included");
        assert!(keep("anything", true), "folders are entered whatever the includes");
        assert!(!keep("x/drafts", true), "a name glob excludes a folder at any depth");
        assert!(!keep("book/old/a.md", false));
        assert!(keep("book/old/deeper/a.md", false), "`*` in a path glob stops at /");
    }

    #[test]
    fn a_bad_glob_is_a_config_error() {
        let options = ReadOptions { exclude: vec!["a[".into()], ..ReadOptions::default() };
        assert!(matches!(PathFilter::new(&options), Err(ConfigError::InvalidGlob { glob, .. }) if glob == "a["));
    }
}
