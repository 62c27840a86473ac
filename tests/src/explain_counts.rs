//! `tests/explain-counts.txt`: the counts of [`stagec::Module::explain`] of the workloads'
//! hot functions in their specialized builds, committed so that an optimization that stops
//! firing turns a test red (the `explain-counts` trial of `tests/workloads.rs`).
//!
//! One line per function: `WORKLOAD FUNC CLIF MACHINE VMCTX DIRECT INDIRECT BUILTIN`, FUNC
//! a function index of the workload's generic module, then an optional `# comment` (what
//! the function is) that blessing keeps. The file is the selection too: to guard another
//! function, add a line with any counts and bless. Any count that grew is a regression;
//! one that shrank is an improvement to bless.

use std::fmt;

/// The command that rewrites the file with the counts of the current compiler.
pub const EXPLAIN_BLESS_COMMAND: &str =
    "STAGEC_BLESS=1 cargo test -p stagec-tests --test workloads explain-counts";

/// The counts of one function, in the file's column order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FunctionCounts {
    /// CLIF instructions after inlining and optimization.
    pub clif: usize,
    /// Machine instructions.
    pub machine: usize,
    /// Loads from the vmctx.
    pub vmctx_loads: usize,
    /// Direct calls.
    pub direct_calls: usize,
    /// Indirect calls.
    pub indirect_calls: usize,
    /// Calls of builtins and libcalls.
    pub builtin_calls: usize,
}

/// The names of the counts, in column order.
const COLUMNS: [&str; 6] = [
    "CLIF instructions",
    "machine instructions",
    "vmctx loads",
    "direct calls",
    "indirect calls",
    "builtin calls",
];

impl FunctionCounts {
    /// The counts of an explanation.
    pub fn of(e: &stagec::Explanation) -> FunctionCounts {
        FunctionCounts {
            clif: e.clif_insts,
            machine: e.machine_insts,
            vmctx_loads: e.vmctx_loads,
            direct_calls: e.calls.direct,
            indirect_calls: e.calls.indirect,
            builtin_calls: e.calls.builtin,
        }
    }

    fn values(&self) -> [usize; 6] {
        [
            self.clif,
            self.machine,
            self.vmctx_loads,
            self.direct_calls,
            self.indirect_calls,
            self.builtin_calls,
        ]
    }
}

/// One guarded function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The workload's manifest name.
    pub workload: String,
    /// Function index in the workload's generic module.
    pub func: u32,
    /// The recorded counts.
    pub counts: FunctionCounts,
    /// The line's comment, without `#`.
    pub comment: String,
}

/// The file: its header comment and entries, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExplainCounts {
    /// The leading comment lines, as written.
    pub header: Vec<String>,
    /// The entries.
    pub entries: Vec<Entry>,
}

impl ExplainCounts {
    /// Parses the file; errors name the offending line.
    pub fn parse(text: &str) -> Result<ExplainCounts, String> {
        let mut file = ExplainCounts::default();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.starts_with('#') || line.is_empty() {
                if file.entries.is_empty() {
                    file.header.push(raw.to_string());
                }
                continue;
            }
            let (fields, comment) = match line.split_once('#') {
                Some((f, c)) => (f, c.trim().to_string()),
                None => (line, String::new()),
            };
            let words: Vec<&str> = fields.split_whitespace().collect();
            let bad = |why: &str| format!("line {}: {why}: `{line}`", i + 1);
            if words.len() != 8 {
                return Err(bad("expected WORKLOAD FUNC and six counts"));
            }
            let numbers = words[1..]
                .iter()
                .map(|w| w.parse::<usize>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| bad("not a count"))?;
            file.entries.push(Entry {
                workload: words[0].to_string(),
                func: u32::try_from(numbers[0]).map_err(|_| bad("function index too large"))?,
                counts: FunctionCounts {
                    clif: numbers[1],
                    machine: numbers[2],
                    vmctx_loads: numbers[3],
                    direct_calls: numbers[4],
                    indirect_calls: numbers[5],
                    builtin_calls: numbers[6],
                },
                comment,
            });
        }
        Ok(file)
    }

    /// The file's text: the header, then one aligned line per entry.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for line in &self.header {
            out.push_str(line);
            out.push('\n');
        }
        for e in &self.entries {
            let v = e.counts.values();
            let mut line = format!(
                "{:<8} {:>5} {:>6} {:>6} {:>4} {:>4} {:>4} {:>4}",
                e.workload, e.func, v[0], v[1], v[2], v[3], v[4], v[5]
            );
            if !e.comment.is_empty() {
                line.push_str("  # ");
                line.push_str(&e.comment);
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// How one function's counts moved against the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// `WORKLOAD FUNC`.
    pub what: String,
    /// Per changed count: its name, recorded, now.
    pub counts: Vec<(&'static str, usize, usize)>,
}

impl Change {
    /// Whether any count grew: a regression (else only improvements).
    pub fn regressed(&self) -> bool {
        self.counts.iter().any(|&(_, was, now)| now > was)
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.regressed() {
            "REGRESSED"
        } else {
            "improved: bless"
        };
        let moves: Vec<String> = self
            .counts
            .iter()
            .map(|(name, was, now)| format!("{name} {was} -> {now}"))
            .collect();
        write!(f, "{}: {verdict} ({})", self.what, moves.join(", "))
    }
}

/// The change of `entry` to `now`, if any count differs.
pub fn compare(entry: &Entry, now: FunctionCounts) -> Option<Change> {
    let counts: Vec<(&'static str, usize, usize)> = COLUMNS
        .iter()
        .zip(entry.counts.values().into_iter().zip(now.values()))
        .filter(|(_, (was, now))| was != now)
        .map(|(&name, (was, now))| (name, was, now))
        .collect();
    (!counts.is_empty()).then(|| Change {
        what: format!("{} {}", entry.workload, entry.func),
        counts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str =
        "# header\n# more\n\nsha256 3 100 80 2 0 1 0  # compress\njson 7 5 4 0 1 0 0\n";

    #[test]
    fn parses_renders_and_compares() {
        let file = ExplainCounts::parse(FILE).unwrap();
        assert_eq!(file.header, ["# header", "# more", ""]);
        assert_eq!(file.entries.len(), 2);
        let sha = &file.entries[0];
        assert_eq!((sha.workload.as_str(), sha.func), ("sha256", 3));
        assert_eq!(sha.counts.machine, 80);
        assert_eq!(sha.counts.indirect_calls, 1);
        assert_eq!(sha.comment, "compress");
        let again = ExplainCounts::parse(&file.render()).unwrap();
        assert_eq!(again, file);

        assert_eq!(compare(sha, sha.counts), None);
        let better = FunctionCounts {
            machine: 70,
            ..sha.counts
        };
        let change = compare(sha, better).unwrap();
        assert!(!change.regressed());
        assert_eq!(
            change.to_string(),
            "sha256 3: improved: bless (machine instructions 80 -> 70)"
        );
        let worse = FunctionCounts {
            vmctx_loads: 3,
            machine: 70,
            ..sha.counts
        };
        let change = compare(sha, worse).unwrap();
        assert!(change.regressed(), "one count grew: {change}");
        assert!(change.to_string().contains("REGRESSED"));

        for bad in ["sha256 3 1 2 3", "sha256 x 1 2 3 4 5 6", "a 1 2 3 4 5 6 -7"] {
            assert!(ExplainCounts::parse(bad).is_err(), "{bad}");
        }
    }
}
