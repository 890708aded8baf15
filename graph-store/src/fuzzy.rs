//! Typo tolerance: a bounded optimal-string-alignment distance (Levenshtein plus adjacent
//! transpositions) and a SymSpell-style deletion index that finds candidates within that
//! distance without scanning the dictionary.
//!
//! Why the index is complete: if two words are within distance `d`, each can reach a
//! common subsequence with at most `d` deletions (a substitution or a transposition is a
//! deletion on each side). Restricting both words to their first [`PREFIX_CHARS`]
//! characters keeps that property, so indexing every ≤ `d`-deletion of each word's prefix
//! and probing with the query prefix's deletions finds every true match; the exact
//! distance then removes the false candidates.

/// Characters of each word that the deletion index looks at (SymSpell's prefix length).
const PREFIX_CHARS: usize = 7;

/// Largest edit distance the index supports.
const MAX_DISTANCE: usize = 2;

/// The typo budget for a query word of `chars` characters: none below 5, one up to 8,
/// two from 9 on.
pub(crate) fn allowed_distance(chars: usize) -> usize {
    match chars {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// Optimal string alignment distance between `a` and `b`, or `None` when it exceeds `max`.
#[cfg(test)]
pub(crate) fn bounded_osa(a: &[char], b: &[char], max: usize) -> Option<usize> {
    OsaRows::default().distance(a, b, max)
}

/// The three rolling rows of the optimal-string-alignment table, kept between calls so
/// a lookup that checks many candidates allocates them once.
#[derive(Debug, Default)]
struct OsaRows {
    /// Rows i-2, i-1 and i.
    before: Vec<usize>,
    prev: Vec<usize>,
    row: Vec<usize>,
}

impl OsaRows {
    /// Optimal string alignment distance between `a` and `b`, or `None` when it exceeds
    /// `max`.
    ///
    /// Only the band of cells with |i − j| ≤ `max` is computed: a cell outside it is
    /// at least |i − j| away, so it reads as `max + 1`, which changes no distance up to
    /// `max` and keeps every larger one above `max`.
    fn distance(&mut self, a: &[char], b: &[char], max: usize) -> Option<usize> {
        if a.len().abs_diff(b.len()) > max {
            return None;
        }
        let far = max + 1;
        let width = b.len() + 1;
        let Self { before, prev, row } = self;
        before.clear();
        before.resize(width, 0);
        prev.clear();
        prev.extend(0..width);
        row.clear();
        row.resize(width, 0);
        for i in 1..=a.len() {
            // Row i's band, and one cell either side marked as out of it.
            let first = i.saturating_sub(max).max(1);
            let last = (i + max).min(b.len());
            row[0] = i;
            row[first - 1] = if first == 1 { i } else { far };
            if let Some(cell) = row.get_mut(last + 1) {
                *cell = far;
            }
            let mut row_min = row[0];
            for j in first..=last {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut value = (prev[j] + 1).min(row[j - 1] + 1).min(prev[j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    value = value.min(before[j - 2] + 1);
                }
                row[j] = value;
                row_min = row_min.min(value);
            }
            if row_min > max {
                return None;
            }
            std::mem::swap(before, prev);
            std::mem::swap(prev, row);
        }
        let distance = prev[b.len()];
        (distance <= max).then_some(distance)
    }
}

/// FNV-1a over characters: deterministic and fast for the short keys used here.
fn hash_chars(chars: impl Iterator<Item = char>) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for c in chars {
        let mut buf = [0u8; 4];
        for byte in c.encode_utf8(&mut buf).bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// Hashes of every string reachable from `word` with at most `max_deletes` deletions
/// (the word itself included), deduplicated.
fn deletion_hashes(word: &[char], max_deletes: usize, out: &mut Vec<u64>) {
    fn recurse(current: &mut Vec<char>, deletes_left: usize, start: usize, out: &mut Vec<u64>) {
        out.push(hash_chars(current.iter().copied()));
        if deletes_left == 0 {
            return;
        }
        for i in start..current.len() {
            let removed = current.remove(i);
            recurse(current, deletes_left - 1, i, out);
            current.insert(i, removed);
        }
    }
    let mut current: Vec<char> = word.to_vec();
    recurse(&mut current, max_deletes, 0, out);
}

/// A dictionary of words with a deletion index for typo-tolerant lookup.
///
/// Sized for millions of names (issue 22): the words are one UTF-8 text with end offsets,
/// not a `Vec<char>` each (4 bytes a character plus a 24-byte header and an allocation),
/// and a deletion is 8 bytes, the top 32 bits of its hash and the word number. Two
/// deletions that share those 32 bits only add a candidate, which the exact distance
/// then drops, so lookups stay exact. Per dictionary word of about a dozen characters and
/// its 29 prefix deletions this is about 250 bytes, down from about 550
/// (`ingest-bench memory-graph`, BENCHMARKS.md "Memory per item").
#[derive(Debug, Default)]
pub(crate) struct FuzzyIndex {
    /// Every word, concatenated.
    text: String,
    /// Where each word ends in `text` (it starts where the previous one ends).
    ends: Vec<u32>,
    /// (top 32 bits of a deletion hash, word number), sorted; a flat array keeps memory low.
    deletions: Vec<(u32, u32)>,
    /// Where each run of `deletions` sharing the top `bucket_bits` bits of the hash
    /// starts (one more entry marks the end), so a probe searches a few entries, not
    /// millions spread over the whole array.
    buckets: Vec<u32>,
    bucket_bits: u32,
}

/// The part of a deletion hash the index keeps (see [`FuzzyIndex`]).
fn top(hash: u64) -> u32 {
    (hash >> 32) as u32
}

/// Deletions per bucket of [`FuzzyIndex::buckets`], on average: a probe reads about one
/// cache line of them.
const DELETIONS_PER_BUCKET: usize = 4;

impl FuzzyIndex {
    /// Builds the index over `words`; a word's position is its id in lookups.
    pub(crate) fn build<'a>(words: impl IntoIterator<Item = &'a str>) -> Self {
        let mut index = Self::default();
        let mut hashes = Vec::new();
        for word in words {
            let chars: Vec<char> = word.chars().collect();
            let (Ok(id), Ok(end)) = (u32::try_from(index.ends.len()), u32::try_from(index.text.len() + word.len()))
            else {
                break;
            };
            // A word can only match queries up to MAX_DISTANCE longer, whose budget is
            // given by their length; index no more deletions than any such query needs.
            let budget = allowed_distance(chars.len() + MAX_DISTANCE).min(MAX_DISTANCE);
            hashes.clear();
            let prefix = &chars[..chars.len().min(PREFIX_CHARS)];
            deletion_hashes(prefix, budget, &mut hashes);
            hashes.sort_unstable();
            hashes.dedup();
            index.deletions.extend(hashes.iter().map(|&h| (top(h), id)));
            index.text.push_str(word);
            index.ends.push(end);
        }
        index.deletions.sort_unstable();
        index.deletions.dedup();
        index.bucket_bits = (index.deletions.len() / DELETIONS_PER_BUCKET).max(1).ilog2().clamp(1, 30);
        let buckets = 1usize << index.bucket_bits;
        index.buckets = Vec::with_capacity(buckets + 1);
        let mut at = 0;
        for bucket in 0..buckets {
            while index.deletions.get(at).is_some_and(|&(h, _)| index.bucket(h) < bucket) {
                at += 1;
            }
            index.buckets.push(u32::try_from(at).unwrap_or(u32::MAX));
        }
        index.buckets.push(u32::try_from(index.deletions.len()).unwrap_or(u32::MAX));
        index
    }

    /// The bucket of a stored (32-bit) deletion key: its top `bucket_bits` bits.
    fn bucket(&self, key: u32) -> usize {
        // An index never built has no buckets (and 0 bits, so no shift by 32).
        key.checked_shr(32 - self.bucket_bits).unwrap_or(0) as usize
    }

    /// The word with this number.
    fn word(&self, id: usize) -> Option<&str> {
        let end = *self.ends.get(id)? as usize;
        let start = if id == 0 { 0 } else { *self.ends.get(id - 1)? as usize };
        self.text.get(start..end)
    }

    /// The entries of `deletions` whose key shares `hash`'s bucket.
    fn bucket_entries(&self, hash: u32) -> &[(u32, u32)] {
        let bucket = self.bucket(hash);
        match (self.buckets.get(bucket), self.buckets.get(bucket + 1)) {
            (Some(&start), Some(&end)) => self.deletions.get(start as usize..end as usize).unwrap_or_default(),
            _ => &[],
        }
    }

    /// Number of words indexed.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Words within `max_distance` of `query`, as `(word id, distance)`, nearest first.
    pub(crate) fn lookup(&self, query: &[char], max_distance: usize) -> Vec<(usize, usize)> {
        let max_distance = max_distance.min(MAX_DISTANCE);
        let mut hashes = Vec::new();
        deletion_hashes(&query[..query.len().min(PREFIX_CHARS)], max_distance, &mut hashes);
        hashes.sort_unstable();
        hashes.dedup();
        let mut candidates: Vec<u32> = Vec::new();
        for hash in hashes {
            let hash = top(hash);
            let entries = self.bucket_entries(hash);
            let first = entries.partition_point(|&(h, _)| h < hash);
            candidates.extend(entries[first..].iter().take_while(|&&(h, _)| h == hash).map(|&(_, id)| id));
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut rows = OsaRows::default();
        let mut word: Vec<char> = Vec::new();
        let mut found: Vec<(usize, usize)> = candidates
            .into_iter()
            .filter_map(|id| {
                let id = id as usize;
                word.clear();
                word.extend(self.word(id)?.chars());
                rows.distance(query, &word, max_distance).map(|d| (id, d))
            })
            .collect();
        found.sort_by_key(|&(id, d)| (d, id));
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    fn osa(a: &str, b: &str) -> Option<usize> {
        bounded_osa(&chars(a), &chars(b), 2)
    }

    #[test]
    fn osa_counts_transpositions_once() {
        assert_eq!(osa("frnace", "france"), Some(1));
        assert_eq!(osa("ethopia", "ethiopia"), Some(1));
        assert_eq!(osa("abc", "abc"), Some(0));
        assert_eq!(osa("kitten", "sitting"), None);
        assert_eq!(osa("", "ab"), Some(2));
    }

    /// The whole table, no band and no early exit: the definition to check against.
    fn full_osa(a: &[char], b: &[char]) -> usize {
        let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, cell) in d[0].iter_mut().enumerate() {
            *cell = j;
        }
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut value = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    value = value.min(d[i - 2][j - 2] + 1);
                }
                d[i][j] = value;
            }
        }
        d[a.len()][b.len()]
    }

    #[test]
    fn banded_distance_matches_the_full_table() {
        // Short words over three letters, so near misses and transpositions abound.
        let mut state = 7u64;
        let mut word = || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let len = (state >> 60) as usize % 9;
            (0..len).map(|k| ['a', 'b', 'c'][(state >> (3 * k + 8)) as usize % 3]).collect::<Vec<char>>()
        };
        let mut rows = OsaRows::default();
        for _ in 0..20_000 {
            let (a, b) = (word(), word());
            let exact = full_osa(&a, &b);
            for max in 0..=3 {
                assert_eq!(rows.distance(&a, &b, max), (exact <= max).then_some(exact), "{a:?} {b:?} max {max}");
            }
        }
    }

    #[test]
    fn index_finds_every_word_a_scan_finds() {
        let dictionary = [
            "france",
            "ethiopia",
            "germany",
            "mozambique",
            "kazakhstan",
            "australia",
            "austria",
            "phalanger",
            "marsupial",
            "switzerland",
        ];
        let index = FuzzyIndex::build(dictionary.iter().copied());
        let queries = [
            "frnace",
            "ethopia",
            "germnay",
            "mozambiqeu",
            "kazakstan",
            "austrlia",
            "austira",
            "phalagner",
            "marsupail",
            "swtizerland",
            "swizterlnd",
            "xyzzy",
            "fracne",
        ];
        for query in queries {
            let q = chars(query);
            let budget = allowed_distance(q.len());
            let mut scanned: Vec<(usize, usize)> = dictionary
                .iter()
                .enumerate()
                .filter_map(|(id, w)| bounded_osa(&q, &chars(w), budget).map(|d| (id, d)))
                .collect();
            scanned.sort_by_key(|&(id, d)| (d, id));
            assert_eq!(index.lookup(&q, budget), scanned, "query {query}");
        }
        assert_eq!(index.len(), dictionary.len());
    }
}
