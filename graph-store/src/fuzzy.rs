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
pub(crate) fn bounded_osa(a: &[char], b: &[char], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let width = b.len() + 1;
    // Three rolling rows: i-2, i-1, i.
    let mut before: Vec<usize> = vec![0; width];
    let mut prev: Vec<usize> = (0..width).collect();
    let mut row: Vec<usize> = vec![0; width];
    for i in 1..=a.len() {
        row[0] = i;
        let mut row_min = row[0];
        for j in 1..=b.len() {
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
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut row);
    }
    let distance = prev[b.len()];
    (distance <= max).then_some(distance)
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
#[derive(Debug, Default)]
pub(crate) struct FuzzyIndex {
    words: Vec<Vec<char>>,
    /// (deletion hash, word number), sorted by hash; a flat array keeps memory low.
    deletions: Vec<(u64, u32)>,
}

impl FuzzyIndex {
    /// Builds the index over `words`; a word's position is its id in lookups.
    pub(crate) fn build<'a>(words: impl IntoIterator<Item = &'a str>) -> Self {
        let mut index = Self::default();
        let mut hashes = Vec::new();
        for word in words {
            let chars: Vec<char> = word.chars().collect();
            let Ok(id) = u32::try_from(index.words.len()) else {
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
            index.deletions.extend(hashes.iter().map(|&h| (h, id)));
            index.words.push(chars);
        }
        index.deletions.sort_unstable();
        index
    }

    /// Number of words indexed.
    pub(crate) fn len(&self) -> usize {
        self.words.len()
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
            let first = self.deletions.partition_point(|&(h, _)| h < hash);
            candidates.extend(self.deletions[first..].iter().take_while(|&&(h, _)| h == hash).map(|&(_, id)| id));
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut found: Vec<(usize, usize)> = candidates
            .into_iter()
            .filter_map(|id| {
                let id = id as usize;
                let word = self.words.get(id)?;
                bounded_osa(query, word, max_distance).map(|d| (id, d))
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
