//! Content hashes: how a caller tells a changed file from an unchanged one.
//!
//! BLAKE3 rather than SHA-256: every file is hashed on every ingest, so speed matters, and
//! BLAKE3 runs at several GB/s per core with SIMD on any x86 or ARM CPU, where SHA-256 is
//! only as fast where the CPU has SHA extensions. Both are cryptographic, so an accidental
//! (or engineered) collision that would hide a change is not a practical concern. The
//! hash covers the file's bytes only, not its name or time, so a `touch` or a move between
//! roots does not count as a change of content.

use std::fmt;
use std::io::Read;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The BLAKE3 hash of a file's bytes; shown and serialised as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentHash([u8; 32]);

impl ContentHash {
    /// The hash of `bytes`.
    pub fn of(bytes: &[u8]) -> ContentHash {
        ContentHash(*blake3::hash(bytes).as_bytes())
    }

    /// The hash of everything `reader` yields, read in chunks (for files not held in memory).
    pub fn of_reader(reader: impl Read) -> std::io::Result<ContentHash> {
        let mut hasher = blake3::Hasher::new();
        hasher.update_reader(reader)?;
        Ok(ContentHash(*hasher.finalize().as_bytes()))
    }

    /// The 32 raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentHash({self})")
    }
}

/// A string that is not 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a content hash is 64 hex digits")]
pub struct ParseHashError;

impl FromStr for ContentHash {
    type Err = ParseHashError;

    /// Parses the hex form, so a caller can compare with hashes it stored as text.
    fn from_str(s: &str) -> Result<ContentHash, ParseHashError> {
        let s = s.as_bytes();
        if s.len() != 64 {
            return Err(ParseHashError);
        }
        let mut out = [0u8; 32];
        for (i, pair) in s.chunks_exact(2).enumerate() {
            let hi = (pair[0] as char).to_digit(16).ok_or(ParseHashError)?;
            let lo = (pair[1] as char).to_digit(16).ok_or(ParseHashError)?;
            out[i] = (hi * 16 + lo) as u8;
        }
        Ok(ContentHash(out))
    }
}

impl Serialize for ContentHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ContentHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ContentHash, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_known_value() {
        // The BLAKE3 test vector for the empty input.
        let empty = ContentHash::of(b"");
        assert_eq!(empty.to_string(), "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
        assert_eq!(empty.to_string().parse::<ContentHash>(), Ok(empty));
        assert_eq!(ContentHash::of_reader(&b"abc"[..]).ok(), Some(ContentHash::of(b"abc")));
        assert_ne!(ContentHash::of(b"a"), ContentHash::of(b"b"));
        assert_eq!("xyz".parse::<ContentHash>(), Err(ParseHashError));
        assert_eq!("g".repeat(64).parse::<ContentHash>(), Err(ParseHashError));
    }
}
