//! Targets a benchmark checks its figures against (defaults from the table in
//! BENCHMARKS.md): one `PASS`/`FAIL` line per target with the figure, the target and, where
//! there is one, the ratio against the peer measured in the same run.
//!
//! ```
//! use braid_bench::targets::Verdicts;
//!
//! let mut v = Verdicts::default();
//! v.at_most("linking p50 (µs)", 9.3, 20.0);
//! v.at_least("hybrid nDCG@10", 0.52, 0.54);
//! assert_eq!(v.failed(), 1);
//! assert!(v.lines()[0].starts_with("PASS linking p50 (µs): 9.3"));
//! assert!(v.lines()[1].starts_with("FAIL hybrid nDCG@10: 0.52"));
//! ```

/// PASS/FAIL lines, in the order the targets were checked.
#[derive(Debug, Default, Clone)]
pub struct Verdicts {
    lines: Vec<String>,
    failed: usize,
}

impl Verdicts {
    /// Passes when `measured <= target` (latencies, memory).
    pub fn at_most(&mut self, what: &str, measured: f64, target: f64) {
        self.push(what, measured <= target, format!("{} (target ≤ {})", num(measured), num(target)));
    }

    /// Passes when `measured >= target` (throughput, quality, ratios).
    pub fn at_least(&mut self, what: &str, measured: f64, target: f64) {
        self.push(what, measured >= target, format!("{} (target ≥ {})", num(measured), num(target)));
    }

    fn push(&mut self, what: &str, ok: bool, detail: String) {
        if !ok {
            self.failed += 1;
        }
        self.lines.push(format!("{} {what}: {detail}", if ok { "PASS" } else { "FAIL" }));
    }

    /// The lines so far.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// How many targets were missed.
    pub fn failed(&self) -> usize {
        self.failed
    }

    /// Prints the lines on stdout; `Err` naming the misses if any target was missed.
    pub fn report(&self) -> Result<(), String> {
        for line in &self.lines {
            println!("{line}");
        }
        match self.failed {
            0 => Ok(()),
            n => Err(format!("{n} of {} targets missed", self.lines.len())),
        }
    }
}

/// A figure with about four significant digits.
fn num(v: f64) -> String {
    match v.abs() {
        a if a >= 1000.0 => format!("{v:.0}"),
        a if a >= 10.0 => format!("{v:.1}"),
        a if a >= 1.0 => format!("{v:.2}"),
        _ => format!("{v:.3}"),
    }
}
