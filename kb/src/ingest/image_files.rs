//! Image files given directly or as a folder: each becomes an image record captioned by its
//! file name, with an id from its path below the folder given.

use std::path::{Path, PathBuf};

use super::{IngestReport, Located, Origin, Parsed};
use crate::error::BraidError;
use crate::records::ImageRecord;

const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "gif", "webp", "svg"];

/// Every image file below `root`, in path order.
pub(super) fn read_image_folder(root: &Path, parsed: &mut Parsed, report: &mut IngestReport) -> Result<(), BraidError> {
    let mut stack = vec![root.to_path_buf()];
    let mut files = Vec::new();
    while let Some(dir) = stack.pop() {
        for p in list_dir(&dir)? {
            if p.is_dir() {
                stack.push(p);
            } else if is_image_file(&p) {
                files.push(p);
            }
        }
    }
    files.sort();
    for file in files {
        read_image_file(&file, root, parsed, report);
    }
    Ok(())
}

pub(super) fn list_dir(dir: &Path) -> Result<Vec<PathBuf>, BraidError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| BraidError::invalid("path", format!("cannot list {}: {e}", dir.display())))?;
    Ok(entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
}

pub(super) fn is_image_file(p: &Path) -> bool {
    p.extension().and_then(|e| e.to_str()).is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// An image file becomes an image record captioned by its file name.
pub(super) fn read_image_file(file: &Path, root: &Path, parsed: &mut Parsed, report: &mut IngestReport) {
    let at = Origin { file: file.display().to_string().into(), line: None };
    let rel = file.strip_prefix(root).unwrap_or(file).to_string_lossy().replace('\\', "/");
    let caption = file.file_stem().map(|s| s.to_string_lossy().replace(['-', '_'], " ")).unwrap_or_default();
    match std::fs::read(file) {
        Ok(bytes) => parsed.images.push(Located {
            at,
            record: (
                ImageRecord {
                    id: format!("img:file:{rel}"),
                    path: Some(rel),
                    url: None,
                    base64: None,
                    caption,
                    depicts: vec![],
                    tags: vec![],
                    source: Some(root.display().to_string()),
                    license: None,
                    media_type: None,
                    indexed_text: String::new(),
                },
                Some(bytes),
            ),
        }),
        Err(e) => report.rejected.push(format!("{at}: cannot read: {e}")),
    }
}
