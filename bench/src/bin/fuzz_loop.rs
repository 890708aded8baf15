//! A stable-toolchain fuzz driver for the targets in `braid_bench::fuzz` (the same bodies the
//! cargo-fuzz crate in `fuzz/` runs under libFuzzer). No coverage guidance: it mutates the
//! committed seed corpus (`fuzz/corpus/<target>/`) with byte flips, insertions, deletions,
//! duplications, splices and JSON-aware tokens (quotes, brackets, deep nesting, huge and
//! non-finite numbers, escapes, invalid UTF-8, long strings) and runs each input under
//! `catch_unwind`. A panicking input is written to `fuzz/artifacts/<target>/crash-<hash>`
//! and counted; the exit status is 1 if any target crashed.
//!
//! ```text
//! fuzz-loop [--seconds 600] [--seed 1] [--targets introspect,jsonl_record,request_body] [--corpus fuzz/corpus]
//! ```

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use braid_bench::flags::Flags;
use braid_bench::fuzz::TARGETS;
use braid_bench::{Rng, Table};

const TOKENS: &[&[u8]] = &[
    b"\"",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b",",
    b"null",
    b"true",
    b"-1",
    b"0",
    b"1e999",
    b"-1e309",
    b"NaN",
    b"18446744073709551616",
    b"4294967297",
    b"\\u0000",
    b"\\ud800",
    b"\\\"",
    b"\xff",
    b"\xc3\x28",
    b"\xf0\x9f\x98",
    b"\"query\":",
    b"\"k\":",
    b"\"routes\":",
    b"\"graph\"",
    b"\"vector\"",
    b"\"web\"",
    b"\"image\":",
    b"\"base64\":",
    b"\"url\":",
    b"\"filters\":",
    b"\"modality\":",
    b"\"explain\":",
    b"\"fusion\":",
    b"\"items\":",
    b"\"relation\":",
    b"\"text\":",
    b"\"path\":",
    b"\"../../etc/passwd\"",
    b"\"http://169.254.169.254/\"",
    b"\"caption\":",
    b"\"depicts\":",
    b"\"name\":",
    b"\"type\":",
    b"\"id\":",
    b"\"source\":",
    b"\"target\":",
    b"\"props\":",
    b"which countries border",
    b" and ",
    b" pictures of ",
    b" near ",
    b"France",
    b"New Zealand",
    b"\t",
    b"\n",
    b"\r\n",
    b"\xe2\x80\x8b",
    b"\xcc\x81",
    b"\xef\xbc\xa1",
];

fn mutate(rng: &mut Rng, input: &mut Vec<u8>, corpus: &[Vec<u8>]) {
    for _ in 0..1 + rng.below(6) {
        let len = input.len();
        match rng.below(10) {
            0 if len > 0 => {
                let i = rng.below(len);
                input[i] ^= 1 << rng.below(8);
            }
            1 => {
                let i = rng.below(len + 1);
                input.insert(i, rng.next_u64() as u8);
            }
            2 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(16)).min(len);
                input.drain(a..b);
            }
            3 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(32)).min(len);
                let chunk = input[a..b].to_vec();
                let at = rng.below(len + 1);
                input.splice(at..at, chunk.iter().copied().cycle().take(chunk.len() * (1 + rng.below(8))));
            }
            4..=6 => {
                let t = rng.pick(TOKENS);
                let at = rng.below(len + 1);
                input.splice(at..at, t.iter().copied());
            }
            7 if !corpus.is_empty() => {
                let other = rng.pick(corpus);
                if !other.is_empty() {
                    let a = rng.below(other.len());
                    let b = (a + 1 + rng.below(64)).min(other.len());
                    let at = rng.below(len + 1);
                    input.splice(at..at, other[a..b].iter().copied());
                }
            }
            8 => {
                // Deep nesting or a long run.
                let (open, n) = if rng.below(2) == 0 { (b'[', 1 + rng.below(300)) } else { (b'a', rng.below(5000)) };
                let at = rng.below(len + 1);
                input.splice(at..at, std::iter::repeat_n(open, n));
            }
            _ => {
                if len > 8192 {
                    input.truncate(rng.below(8192));
                }
            }
        }
    }
    input.truncate(64 * 1024);
}

/// Seconds per target, seed, the targets (comma-separated) and the corpus root.
fn parse_args() -> Result<(u64, u64, String, PathBuf), String> {
    let mut flags =
        Flags::from_env("usage: fuzz-loop [--seconds S] [--seed N] [--targets introspect,...] [--corpus DIR]");
    let parsed = (
        flags.get("--seconds", 600)?,
        flags.get("--seed", 1)?,
        flags.get("--targets", "introspect,jsonl_record,request_body".to_string())?,
        flags.get("--corpus", PathBuf::from("fuzz/corpus"))?,
    );
    flags.done()?;
    Ok(parsed)
}

fn main() -> ExitCode {
    let (seconds, seed, targets, corpus_root) = match parse_args() {
        Ok(v) => v,
        Err(e) => {
            eprintln!("fuzz-loop: {e}");
            return ExitCode::FAILURE;
        }
    };
    std::panic::set_hook(Box::new(|_| {}));
    let mut table =
        Table::new(["target", "seconds", "executions", "execs/s", "seed inputs", "crashes", "slowest input"]);
    let mut crashed = false;
    for name in targets.split(',') {
        let Some((_, target)) = TARGETS.iter().find(|(n, _)| *n == name) else {
            eprintln!("fuzz-loop: unknown target {name}");
            return ExitCode::FAILURE;
        };
        let mut corpus: Vec<Vec<u8>> = std::fs::read_dir(corpus_root.join(name))
            .map(|d| d.flatten().filter_map(|e| std::fs::read(e.path()).ok()).collect())
            .unwrap_or_default();
        let seeds = corpus.len();
        if corpus.is_empty() {
            corpus.push(b"{}".to_vec());
        }
        let mut rng = Rng::new(seed);
        let mut crashes: HashSet<u64> = HashSet::new();
        let (mut execs, mut slowest) = (0u64, Duration::ZERO);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(seconds) {
            let mut input = rng.pick(&corpus).clone();
            mutate(&mut rng, &mut input, &corpus);
            let t = Instant::now();
            let result = std::panic::catch_unwind(|| target(&input));
            slowest = slowest.max(t.elapsed());
            execs += 1;
            if result.is_err() {
                let mut h = DefaultHasher::new();
                input.hash(&mut h);
                let hash = h.finish();
                if crashes.insert(hash) {
                    let dir = PathBuf::from("fuzz/artifacts").join(name);
                    let _ = std::fs::create_dir_all(&dir);
                    let path = dir.join(format!("crash-{hash:016x}"));
                    let _ = std::fs::write(&path, &input);
                    eprintln!("fuzz-loop: {name}: crash written to {}", path.display());
                }
            } else if rng.below(1000) == 0 && corpus.len() < 4096 {
                // Keep an occasional survivor so mutations can build on each other.
                corpus.push(input);
            }
        }
        let secs = start.elapsed().as_secs_f64();
        crashed |= !crashes.is_empty();
        table.row([
            name.to_string(),
            format!("{secs:.0}"),
            execs.to_string(),
            format!("{:.0}", execs as f64 / secs),
            seeds.to_string(),
            crashes.len().to_string(),
            format!("{:.1} ms", slowest.as_secs_f64() * 1e3),
        ]);
    }
    print!("{}", table.to_markdown());
    if crashed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
