//! Image files: what format the bytes are, and which text file is an image's caption
//! sidecar. The caption itself is chosen once the whole walk is known (see `reader`).

use crate::error::FileError;
use crate::model::FileKind;

/// The media type of image bytes, from their signature; the extension is not trusted
/// (a PNG saved as `.jpg` is still a PNG to a decoder).
pub(crate) fn media_type(bytes: &[u8]) -> Result<&'static str, FileError> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok("image/png");
    }
    if bytes.starts_with(b"\xFF\xD8\xFF") {
        return Ok("image/jpeg");
    }
    if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        return Ok("image/webp");
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Ok("image/gif");
    }
    // SVG is XML: an `<svg` element near the top, after any prolog, doctype and comments.
    let head = &bytes[..bytes.len().min(4096)];
    if head.windows(4).any(|w| w.eq_ignore_ascii_case(b"<svg")) {
        return Ok("image/svg+xml");
    }
    Err(FileError::NotAnImage)
}

/// If `relative` names a caption sidecar (`photo.png.txt`), the relative path of the image
/// it captions (`photo.png`).
pub(crate) fn sidecar_image(relative: &str) -> Option<&str> {
    let image = relative.strip_suffix(".txt").or_else(|| relative.strip_suffix(".TXT"))?;
    let (_, ext) = image.rsplit_once('.')?;
    (FileKind::from_extension(ext) == Some(FileKind::Image)).then_some(image)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_decide_the_media_type() {
        assert_eq!(media_type(b"\x89PNG\r\n\x1a\n....").ok(), Some("image/png"));
        assert_eq!(media_type(b"\xFF\xD8\xFF\xE0").ok(), Some("image/jpeg"));
        assert_eq!(media_type(b"RIFF\0\0\0\0WEBPVP8 ").ok(), Some("image/webp"));
        assert_eq!(media_type(b"GIF89a").ok(), Some("image/gif"));
        assert_eq!(media_type(b"<?xml version=\"1.0\"?>\n<!-- x -->\n<SVG xmlns=\"\">").ok(), Some("image/svg+xml"));
        assert!(matches!(media_type(b"hello"), Err(FileError::NotAnImage)));
        assert!(matches!(media_type(b""), Err(FileError::NotAnImage)));
    }

    #[test]
    fn sidecars_are_named_after_the_whole_image_name() {
        assert_eq!(sidecar_image("pics/photo.png.txt"), Some("pics/photo.png"));
        assert_eq!(sidecar_image("Photo.JPEG.txt"), Some("Photo.JPEG"));
        assert_eq!(sidecar_image("photo.txt"), None);
        assert_eq!(sidecar_image("notes.md.txt"), None);
        assert_eq!(sidecar_image("photo.png"), None);
    }
}
