//! Recognising image bytes before they are stored: only real PNG, JPEG, GIF, WebP or SVG
//! content is accepted, so an unreadable upload fails with a clear error at the edge.

/// The media type of `bytes`, judged by their signature, or why they are not an image.
pub fn sniff_media_type(bytes: &[u8]) -> Result<&'static str, String> {
    if bytes.is_empty() {
        return Err("image is empty".into());
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        // A PNG must at least hold its IHDR chunk.
        return if bytes.len() >= 33 && &bytes[12..16] == b"IHDR" {
            Ok("image/png")
        } else {
            Err("PNG image is truncated".into())
        };
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok("image/jpeg");
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Ok("image/gif");
    }
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Ok("image/webp");
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_lowercase();
    if head.trim_start().starts_with("<svg") || (head.trim_start().starts_with("<?xml") && head.contains("<svg")) {
        return Ok("image/svg+xml");
    }
    Err("not a PNG, JPEG, GIF, WebP or SVG image".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_signatures_and_rejects_junk() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.resize(40, 0);
        assert_eq!(sniff_media_type(&png), Ok("image/png"));
        assert!(sniff_media_type(&png[..10]).is_err());
        assert_eq!(sniff_media_type(&[0xFF, 0xD8, 0xFF, 0xE0]), Ok("image/jpeg"));
        assert_eq!(sniff_media_type(b"<svg xmlns='http://www.w3.org/2000/svg'/>"), Ok("image/svg+xml"));
        assert!(sniff_media_type(b"hello world").is_err());
        assert!(sniff_media_type(b"").is_err());
    }
}
