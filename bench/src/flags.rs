//! Command-line flags of the bench binaries: `--name value` pairs, bare switches and
//! positional words. Each flag is taken out as the binary asks for it, and [`Flags::finish`]
//! refuses whatever is left that looks like a flag, so a mistyped flag fails the run instead
//! of silently measuring the default.
//!
//! ```
//! use braid_bench::flags::Flags;
//!
//! let words = ["memory", "--n", "500", "--quiet", "--ef", "64,128"].map(String::from);
//! let mut flags = Flags::new(words, "usage: demo MODE [--n N] [--quiet] [--ef A,B]");
//! assert_eq!(flags.get("--n", 100_usize).unwrap(), 500);
//! assert!(flags.switch("--quiet"));
//! assert_eq!(flags.list("--ef", vec![64_usize]).unwrap(), [64, 128]);
//! assert_eq!(flags.finish().unwrap(), ["memory"]);
//! ```

use std::str::FromStr;

/// The arguments not taken yet, and the usage line that `--help` and errors show.
#[derive(Debug, Clone)]
pub struct Flags {
    args: Vec<String>,
    usage: String,
}

impl Flags {
    /// The process's arguments (without the program name).
    pub fn from_env(usage: impl Into<String>) -> Self {
        Self::new(std::env::args().skip(1), usage)
    }

    /// Flags over `args`; `usage` is shown by `--help` and after a flag error.
    pub fn new(args: impl IntoIterator<Item = String>, usage: impl Into<String>) -> Self {
        Self { args: args.into_iter().collect(), usage: usage.into() }
    }

    /// Whether the switch `name` was given (it takes no value).
    pub fn switch(&mut self, name: &str) -> bool {
        let before = self.args.len();
        self.args.retain(|a| a != name);
        self.args.len() != before
    }

    /// The value after `name`, parsed; `None` when the flag is absent. Given twice, the last wins.
    pub fn value<T: FromStr>(&mut self, name: &str) -> Result<Option<T>, String>
    where
        T::Err: std::fmt::Display,
    {
        let mut found = None;
        while let Some(i) = self.args.iter().position(|a| a == name) {
            // A following flag is never a value: `--python --files-only` lacks the path.
            if self.args.get(i + 1).is_none_or(|next| next.starts_with("--")) {
                return Err(self.error(&format!("{name} needs a value")));
            }
            let value = self.args.remove(i + 1);
            self.args.remove(i);
            found = Some(value);
        }
        found.map(|v| v.parse().map_err(|e| self.error(&format!("{name} {v}: {e}")))).transpose()
    }

    /// The value after `name`, parsed; `default` when the flag is absent.
    pub fn get<T: FromStr>(&mut self, name: &str, default: T) -> Result<T, String>
    where
        T::Err: std::fmt::Display,
    {
        Ok(self.value(name)?.unwrap_or(default))
    }

    /// A comma-separated list after `name` (empty items skipped); `default` when absent.
    pub fn list<T: FromStr>(&mut self, name: &str, default: Vec<T>) -> Result<Vec<T>, String>
    where
        T::Err: std::fmt::Display,
    {
        let Some(text) = self.value::<String>(name)? else { return Ok(default) };
        text.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| item.parse().map_err(|e| self.error(&format!("{name} {item}: {e}"))))
            .collect()
    }

    /// The positional words left once every known flag is taken. `--help` / `-h` and any
    /// flag nobody asked for are errors that carry the usage line.
    pub fn finish(self) -> Result<Vec<String>, String> {
        if self.args.iter().any(|a| a == "--help" || a == "-h") {
            return Err(self.usage);
        }
        match self.args.iter().find(|a| a.starts_with("--")) {
            Some(unknown) => Err(self.error(&format!("unknown flag {unknown}"))),
            None => Ok(self.args),
        }
    }

    /// Like [`Flags::finish`], for a binary that takes no positional words.
    pub fn done(self) -> Result<(), String> {
        let usage = self.usage.clone();
        match self.finish()?.first() {
            Some(word) => Err(format!("unexpected argument {word}\n{usage}")),
            None => Ok(()),
        }
    }

    fn error(&self, message: &str) -> String {
        format!("{message}\n{}", self.usage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(args: &[&str]) -> Flags {
        Flags::new(args.iter().map(|a| a.to_string()), "usage: t")
    }

    #[test]
    fn values_switches_and_positionals_are_taken_in_any_order() {
        let mut f = flags(&["--files-only", "--n", "20", "run", "--spread", "0.5"]);
        assert_eq!(f.get("--n", 1_usize), Ok(20));
        assert_eq!(f.get("--spread", 1.0_f32), Ok(0.5));
        assert_eq!(f.get("--seed", 42_u64), Ok(42));
        assert!(f.switch("--files-only"));
        assert!(!f.switch("--verbose"));
        assert_eq!(f.finish(), Ok(vec!["run".to_string()]));
    }

    #[test]
    fn mistakes_are_errors_with_the_usage() {
        let mut f = flags(&["--n", "many"]);
        assert!(f.get("--n", 1_usize).is_err_and(|e| e.starts_with("--n many:") && e.ends_with("usage: t")));
        assert!(flags(&["--n"]).get("--n", 1_usize).is_err());
        assert!(flags(&["--python", "--files-only"]).value::<String>("--python").is_err());
        assert_eq!(flags(&["--spread", "-1"]).get("--spread", 0.0), Ok(-1.0));
        assert_eq!(flags(&["--nn", "3"]).finish(), Err("unknown flag --nn\nusage: t".to_string()));
        assert_eq!(flags(&["-h"]).finish(), Err("usage: t".to_string()));
        assert!(flags(&["--ef", "64,x"]).list::<usize>("--ef", vec![]).is_err());
    }

    #[test]
    fn the_last_repeat_wins_and_lists_skip_empty_items() {
        let mut f = flags(&["--n", "1", "--n", "2", "--ef", "64,,128,"]);
        assert_eq!(f.get("--n", 0_usize), Ok(2));
        assert_eq!(f.list("--ef", vec![]), Ok(vec![64_usize, 128]));
        assert_eq!(f.finish(), Ok(vec![]));
        assert!(flags(&["stray"]).done().is_err_and(|e| e.starts_with("unexpected argument stray")));
        assert_eq!(flags(&[]).done(), Ok(()));
    }
}
