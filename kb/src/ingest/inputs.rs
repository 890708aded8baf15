//! Sorting out what `braid ingest PATH…` was given.
//!
//! - A JSON Lines file (or any file whose kind is not one of the document formats) is read
//!   as records, as it always was.
//! - A folder with `.jsonl`/`.ndjson` files at its top is a **folder of records**, as it always
//!   was: those files are read, in name order, and images come in through the records'
//!   `path`. Every other file in it (a README, licences, a subfolder of notes) is reported
//!   as skipped, with the reason: give documents beside records as a PATH of their own.
//!   (The atlas demo is such a folder, with a README and licences beside its records.)
//! - Any other folder, and a single document or image file, is a **root of files**: walked
//!   (`.gitignore`, hidden files and globs honoured), each file read by its kind, JSON Lines
//!   files found inside read as records. File ids are the root's folder name and the path
//!   below it (`book/ch04.html`), so they are the same whatever the current directory.

use std::path::{Path, PathBuf};

use braid_files::{FileKind, Root};

/// A root of files and the ids it owns.
#[derive(Debug, Clone)]
pub(crate) struct FileRoot {
    /// What the reader walks.
    pub root: Root,
    /// A folder (owns every id under its prefix) or a single file (owns one id).
    pub is_dir: bool,
}

impl FileRoot {
    /// Whether `file_id` would come from this root, so `--prune` may remove it.
    pub fn owns(&self, file_id: &str) -> bool {
        if self.is_dir {
            file_id.starts_with(&self.root.id_prefix)
        } else {
            let name = self.root.path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            file_id.strip_prefix(self.root.id_prefix.as_str()) == Some(name)
        }
    }
}

/// The inputs, sorted out.
#[derive(Debug, Default)]
pub(crate) struct Inputs {
    /// JSON Lines files to read as records, in order.
    pub records: Vec<PathBuf>,
    /// Roots of files.
    pub roots: Vec<FileRoot>,
    /// Folders of records: every file in them that is neither one of their JSON Lines files
    /// nor an image a record names is reported as skipped once the records are read.
    pub records_folders: Vec<PathBuf>,
    /// Entries left out, with why.
    pub skipped: Vec<(PathBuf, String)>,
    /// Paths that cannot be read at all, with why.
    pub failed: Vec<(PathBuf, String)>,
}

/// Sorts `paths` into records and roots of files.
pub(crate) fn sort_out(paths: &[PathBuf]) -> Inputs {
    let mut inputs = Inputs::default();
    let mut roots: Vec<(PathBuf, bool)> = Vec::new();
    for path in paths {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                inputs.failed.push((path.clone(), format!("cannot read: {e}")));
                continue;
            }
        };
        if meta.is_file() {
            match FileKind::from_path(path) {
                Some(FileKind::Records) | None => inputs.records.push(path.clone()),
                Some(_) => roots.push((path.clone(), false)),
            }
            continue;
        }
        match records_folder(path) {
            Ok(Some(records)) => {
                inputs.records.extend(records);
                inputs.records_folders.push(path.clone());
            }
            Ok(None) => roots.push((path.clone(), true)),
            Err(e) => inputs.failed.push((path.clone(), format!("cannot list: {e}"))),
        }
    }
    inputs.roots = with_prefixes(roots);
    inputs
}

/// The JSON Lines files at the top of a folder of records, in name order; `None` when the
/// folder holds none.
fn records_folder(dir: &Path) -> std::io::Result<Option<Vec<PathBuf>>> {
    let mut records = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        if path.is_file() && matches!(extension.as_deref(), Some("jsonl" | "ndjson")) {
            records.push(path);
        }
    }
    if records.is_empty() {
        return Ok(None);
    }
    records.sort();
    Ok(Some(records))
}

/// Why files beside records are not read.
pub(crate) const BESIDE_RECORDS: &str = "in a folder of JSON Lines records, only its .jsonl files (and the images \
                                         they name) are read: give documents as a PATH of their own";

/// Every file below `dir` (symbolic links not followed, so no loop), in path order.
pub(crate) fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(entry.path()),
                Ok(_) => out.push(entry.path()),
                Err(_) => {}
            }
        }
    }
    out.sort();
    out
}

/// Each root with its id prefix: the folder's own name (for a single file, its folder's
/// name). Only the name, so a root's ids do not depend on what else one run was given; two
/// roots with the same name share ids, and a file under both is reported as a duplicate.
fn with_prefixes(roots: Vec<(PathBuf, bool)>) -> Vec<FileRoot> {
    roots
        .into_iter()
        .map(|(path, is_dir)| {
            let absolute = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            let folder = if is_dir { absolute.as_path() } else { absolute.parent().unwrap_or(Path::new("")) };
            let prefix = folder.file_name().map(|n| format!("{}/", n.to_string_lossy())).unwrap_or_default();
            FileRoot { root: Root::new(path).with_prefix(prefix), is_dir }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_of_records_stay_records_and_others_become_roots() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let atlas = dir.path().join("atlas");
        std::fs::create_dir_all(atlas.join("images"))?;
        std::fs::write(atlas.join("entities.jsonl"), "{}")?;
        std::fs::write(atlas.join("README.md"), "# Atlas")?;
        std::fs::write(atlas.join("images/a.png"), "x")?;
        let docs = dir.path().join("a/docs");
        let other = dir.path().join("b/docs");
        std::fs::create_dir_all(&docs)?;
        std::fs::create_dir_all(&other)?;
        std::fs::write(docs.join("x.md"), "# X")?;
        let single = dir.path().join("a/notes.md");
        std::fs::write(&single, "n")?;
        let inputs = sort_out(&[atlas.clone(), docs, other, single, dir.path().join("missing")]);
        assert_eq!(inputs.records, [atlas.join("entities.jsonl")]);
        assert_eq!(inputs.records_folders, std::slice::from_ref(&atlas));
        assert_eq!(
            files_below(&atlas),
            [atlas.join("README.md"), atlas.join("entities.jsonl"), atlas.join("images/a.png")]
        );
        assert_eq!(inputs.failed.len(), 1);
        let prefixes: Vec<&str> = inputs.roots.iter().map(|r| r.root.id_prefix.as_str()).collect();
        assert_eq!(prefixes, ["docs/", "docs/", "a/"], "the folder's name, whatever else is given");
        assert!(inputs.roots[0].owns("docs/x.md") && !inputs.roots[0].owns("a/docs/x.md"));
        assert!(inputs.roots[2].owns("a/notes.md") && !inputs.roots[2].owns("a/docs.md"));
        Ok(())
    }
}
