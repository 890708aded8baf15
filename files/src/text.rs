//! Bytes to text, shared by the Markdown, text and HTML readers, and the `.txt` reader.
//!
//! Invalid UTF-8 is replaced (U+FFFD) with a [`Warning::InvalidUtf8`] rather than refused:
//! a Latin-1 `é` in an old note should cost one character, not the whole note. What is
//! refused is a file that is not text at all (a NUL byte near the start, as git and ripgrep
//! judge it), since lossy decoding would store garbage. UTF-16 with a byte order mark (what
//! Windows Notepad writes) is decoded; a UTF-8 byte order mark is dropped.

use std::path::Path;

use crate::error::FileError;
use crate::model::{Section, TextContent, Warning, words_from_file_name};

/// How far into a file to look for a NUL byte. The same window git uses.
const BINARY_SNIFF_BYTES: usize = 8000;

/// Decodes `bytes` as text, appending a warning if anything had to be replaced.
pub(crate) fn decode(bytes: &[u8], path: &Path, warnings: &mut Vec<Warning>) -> Result<String, FileError> {
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return Ok(decode_utf16(rest, u16::from_le_bytes, warnings));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return Ok(decode_utf16(rest, u16::from_be_bytes, warnings));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes[..bytes.len().min(BINARY_SNIFF_BYTES)].contains(&0) {
        let extension = path.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_default();
        return Err(FileError::Binary { extension });
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_owned()),
        Err(_) => {
            let replaced = bytes.utf8_chunks().filter(|c| !c.invalid().is_empty()).count();
            warnings.push(Warning::InvalidUtf8 { replaced });
            Ok(String::from_utf8_lossy(bytes).into_owned())
        }
    }
}

fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16, warnings: &mut Vec<Warning>) -> String {
    let units = bytes.chunks_exact(2).map(|p| unit([p[0], p[1]]));
    let mut replaced = usize::from(bytes.len() % 2 == 1);
    let mut out = String::with_capacity(bytes.len() / 2);
    for c in char::decode_utf16(units) {
        out.push(c.unwrap_or_else(|_| {
            replaced += 1;
            char::REPLACEMENT_CHARACTER
        }));
    }
    if replaced > 0 {
        warnings.push(Warning::InvalidUtf8 { replaced });
    }
    out
}

/// A `.txt` file: one section holding the whole text; the title is the file name in words
/// (plain text has no reliable heading to take one from).
pub(crate) fn read_text(text: &str, path: &Path) -> (String, TextContent) {
    let text = text.trim();
    let sections = if text.is_empty() {
        Vec::new()
    } else {
        vec![Section { heading_path: Vec::new(), anchor: None, page: None, text: text.replace("\r\n", "\n") }]
    };
    (words_from_file_name(path), TextContent { sections, ..TextContent::default() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_repairs_utf8_reads_utf16_and_refuses_binary() {
        let p = Path::new("a.txt");
        let mut w = Vec::new();
        assert_eq!(decode(b"\xEF\xBB\xBFplain", p, &mut w).ok().as_deref(), Some("plain"));
        assert!(w.is_empty());

        assert_eq!(decode(b"caf\xE9 and na\xEFve", p, &mut w).ok().as_deref(), Some("caf\u{FFFD} and na\u{FFFD}ve"));
        assert_eq!(w, vec![Warning::InvalidUtf8 { replaced: 2 }]);

        let mut w = Vec::new();
        let utf16: Vec<u8> =
            [0xFF, 0xFE].into_iter().chain("héllo".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        assert_eq!(decode(&utf16, p, &mut w).ok().as_deref(), Some("héllo"));
        assert!(w.is_empty());

        assert!(
            matches!(decode(b"PK\x03\x04\x00\x00", p, &mut w), Err(FileError::Binary { extension }) if extension == "txt")
        );
    }
}
