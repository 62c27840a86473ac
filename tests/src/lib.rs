//! Test support for stagec: where the spec suite is, the list of spec commands that are
//! known to fail, the committed per-file command counts, and small helpers shared by the
//! integration tests.

pub mod explain_counts;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Environment variable naming the root of a WebAssembly testsuite checkout (the directory
/// that contains `core/`).
pub const SUITE_ENV: &str = "STAGEC_SPEC_TESTSUITE";

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives inside the workspace")
        .to_path_buf()
}

/// The testsuite root: `$STAGEC_SPEC_TESTSUITE`, else `../shared/testsuite` beside the
/// workspace. Returns the candidate even when it does not exist.
pub fn suite_root() -> PathBuf {
    match std::env::var_os(SUITE_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_root().join("../shared/testsuite"),
    }
}

/// The `.wast` files directly in `dir`, sorted by name.
pub fn wast_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "wast") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Spec commands expected to fail, from a file with one entry per line:
/// `FILE.wast:LINE  reason`. Blank lines and lines starting with `#` are ignored.
#[derive(Clone, Debug, Default)]
pub struct ShouldFail {
    /// file name → line → reason
    pub entries: BTreeMap<String, BTreeMap<usize, String>>,
}

impl ShouldFail {
    /// Parses the list; errors name the offending line.
    pub fn parse(text: &str) -> Result<ShouldFail, String> {
        let mut list = ShouldFail::default();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (location, reason) = line
                .split_once(char::is_whitespace)
                .map(|(l, r)| (l, r.trim()))
                .unwrap_or((line, ""));
            let parsed = location
                .rsplit_once(':')
                .and_then(|(file, n)| Some((file, n.parse::<usize>().ok()?)))
                .filter(|(file, _)| file.ends_with(".wast"));
            let Some((file, n)) = parsed else {
                return Err(format!(
                    "line {}: expected `FILE.wast:LINE  reason`, found `{raw}`",
                    i + 1
                ));
            };
            list.entries
                .entry(file.to_string())
                .or_default()
                .insert(n, reason.to_string());
        }
        Ok(list)
    }

    /// Reads and parses the list in `path`.
    pub fn load(path: &Path) -> Result<ShouldFail, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The lines of `file` expected to fail.
    pub fn lines(&self, file: &str) -> BTreeMap<usize, String> {
        self.entries.get(file).cloned().unwrap_or_default()
    }
}

/// Environment variable that makes tests rewrite their committed expectations
/// (`STAGEC_BLESS=1`; unset or `0` compares).
pub const BLESS_ENV: &str = "STAGEC_BLESS";

/// Whether `STAGEC_BLESS` asks to rewrite committed expectations.
pub fn blessing() -> bool {
    std::env::var_os(BLESS_ENV).is_some_and(|v| !v.is_empty() && v != "0")
}

/// One spec file's command counts under one configuration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CommandCounts {
    /// Commands that passed.
    pub passed: usize,
    /// Commands skipped because they need a feature stagec does not support.
    pub skipped: usize,
}

impl CommandCounts {
    /// Compares a run's counts (`self`) with the `recorded` ones: `Ok` when equal, else
    /// what changed. More skipped or fewer passed commands is a regression; the reverse
    /// (an improvement) is an error too, so that the committed file always says what the
    /// engine does.
    pub fn check(self, recorded: Option<CommandCounts>) -> Result<(), CountsChange> {
        match recorded {
            None => Err(CountsChange::Missing { actual: self }),
            Some(r) if r == self => Ok(()),
            Some(r) if self.skipped > r.skipped || self.passed < r.passed => {
                Err(CountsChange::Regressed {
                    recorded: r,
                    actual: self,
                })
            }
            Some(r) => Err(CountsChange::Improved {
                recorded: r,
                actual: self,
            }),
        }
    }
}

/// How a run's counts differ from the committed ones (see [`CommandCounts::check`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CountsChange {
    /// The counts file has no line for this file and configuration.
    Missing {
        /// This run's counts.
        actual: CommandCounts,
    },
    /// More commands skipped or fewer passed than recorded.
    Regressed {
        /// The committed counts.
        recorded: CommandCounts,
        /// This run's counts.
        actual: CommandCounts,
    },
    /// Fewer commands skipped or more passed than recorded, and nothing worse.
    Improved {
        /// The committed counts.
        recorded: CommandCounts,
        /// This run's counts.
        actual: CommandCounts,
    },
}

/// The command that rewrites `tests/spec-counts.txt`.
pub const SPEC_BLESS_COMMAND: &str = "STAGEC_BLESS=1 cargo test -p stagec-tests --test spec";

impl std::fmt::Display for CountsChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let delta = |from: usize, to: usize| {
            let sign = if to >= from { "+" } else { "-" };
            format!("{from} -> {to} ({sign}{})", to.abs_diff(from))
        };
        match self {
            CountsChange::Missing { actual } => write!(
                f,
                "no line in tests/spec-counts.txt (this run: {} passed, {} skipped): add it \
                 with `{SPEC_BLESS_COMMAND}`",
                actual.passed, actual.skipped
            ),
            CountsChange::Regressed { recorded, actual } => write!(
                f,
                "REGRESSION against tests/spec-counts.txt: passed {}, skipped {}; if that \
                 is intended, bless it with `{SPEC_BLESS_COMMAND}`",
                delta(recorded.passed, actual.passed),
                delta(recorded.skipped, actual.skipped)
            ),
            CountsChange::Improved { recorded, actual } => write!(
                f,
                "counts improved: passed {}, skipped {}; update the counts file with \
                 `{SPEC_BLESS_COMMAND}`",
                delta(recorded.passed, actual.passed),
                delta(recorded.skipped, actual.skipped)
            ),
        }
    }
}

/// The committed command counts of every spec file under every configuration, one line
/// each: `FILE.wast  CONFIG  PASSED  SKIPPED`. Blank lines and lines starting with `#`
/// are ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpecCounts {
    /// (file name, configuration) → counts
    pub entries: BTreeMap<(String, String), CommandCounts>,
}

impl SpecCounts {
    /// Parses the file; errors name the offending line.
    pub fn parse(text: &str) -> Result<SpecCounts, String> {
        let mut counts = SpecCounts::default();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            let parsed = match fields[..] {
                [file, config, passed, skipped] if file.ends_with(".wast") => passed
                    .parse()
                    .ok()
                    .zip(skipped.parse().ok())
                    .map(|(passed, skipped)| (file, config, CommandCounts { passed, skipped })),
                _ => None,
            };
            let Some((file, config, entry)) = parsed else {
                return Err(format!(
                    "line {}: expected `FILE.wast CONFIG PASSED SKIPPED`, found `{raw}`",
                    i + 1
                ));
            };
            let key = (file.to_string(), config.to_string());
            if counts.entries.insert(key, entry).is_some() {
                return Err(format!("line {}: a second line for {file} {config}", i + 1));
            }
        }
        Ok(counts)
    }

    /// Reads and parses `path`; a missing file has no entries.
    pub fn load(path: &Path) -> Result<SpecCounts, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(SpecCounts::default()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// The recorded counts of `file` under `config`.
    pub fn get(&self, file: &str, config: &str) -> Option<CommandCounts> {
        self.entries
            .get(&(file.to_string(), config.to_string()))
            .copied()
    }

    /// The file's text: a header, then one aligned line per entry, sorted by file and
    /// configuration.
    pub fn render(&self) -> String {
        let width = self.entries.keys().map(|(f, _)| f.len()).max().unwrap_or(0);
        let mut out = format!(
            "# Commands of every spec-suite file that pass and that are skipped (they need a\n\
             # feature stagec does not support), per configuration of tests/tests/spec.rs:\n\
             #\n\
             #   FILE.wast  CONFIG  PASSED  SKIPPED\n\
             #\n\
             # The spec test fails when a file's counts differ. Regenerate with\n\
             # `{SPEC_BLESS_COMMAND}`.\n"
        );
        for ((file, config), c) in &self.entries {
            out.push_str(&format!(
                "{file:<width$}  {config:<9}  {:>6}  {:>6}\n",
                c.passed, c.skipped
            ));
        }
        out
    }
}

/// Calls export `name` of `instance` with `args`; returns its results.
///
/// Panics if there is no such exported function (a broken test, not an engine error).
pub fn call_export(
    store: &mut stagec::Store,
    instance: &stagec::Instance,
    name: &str,
    args: &[stagec::Val],
) -> Result<Vec<stagec::Val>, stagec::Error> {
    let func = instance
        .get_func(store, name)
        .unwrap_or_else(|| panic!("no export {name}"));
    let mut results: Vec<stagec::Val> = func
        .ty(store)
        .results
        .iter()
        .map(|t| stagec::Val::default_for(*t))
        .collect();
    func.call(store, args, &mut results)?;
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::{CommandCounts, CountsChange, ShouldFail, SpecCounts};

    #[test]
    fn parses_entries_and_comments() {
        let list =
            ShouldFail::parse("# comment\n\nfloat_exprs.wast:12  NaN sign\nbr.wast:3\n").unwrap();
        assert_eq!(list.lines("float_exprs.wast")[&12], "NaN sign");
        assert_eq!(list.lines("br.wast")[&3], "");
        assert!(list.lines("i32.wast").is_empty());
    }

    #[test]
    fn rejects_bad_lines() {
        assert!(ShouldFail::parse("float_exprs.wast  no line\n").is_err());
        assert!(ShouldFail::parse("x.wat:3 wrong extension\n").is_err());
    }

    fn counts(passed: usize, skipped: usize) -> CommandCounts {
        CommandCounts { passed, skipped }
    }

    #[test]
    fn spec_counts_round_trip() {
        let text = "# header\n\nbr.wast plain 10 2\nbr.wast single 9 3\nf32.wast plain 7 0\n";
        let parsed = SpecCounts::parse(text).unwrap();
        assert_eq!(parsed.entries.len(), 3);
        assert_eq!(parsed.get("br.wast", "single"), Some(counts(9, 3)));
        assert_eq!(parsed.get("br.wast", "preimport"), None);
        assert_eq!(SpecCounts::parse(&parsed.render()).unwrap(), parsed);
    }

    #[test]
    fn spec_counts_reject_bad_lines() {
        for bad in [
            "br.wast plain 10\n",
            "br.wat plain 10 2\n",
            "br.wast plain ten 2\n",
            "br.wast plain 10 2 extra\n",
            "br.wast plain 10 2\nbr.wast plain 10 2\n",
        ] {
            assert!(SpecCounts::parse(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn count_changes_are_classified() {
        let recorded = Some(counts(100, 10));
        assert_eq!(counts(100, 10).check(recorded), Ok(()));
        for regressed in [
            counts(100, 11),
            counts(99, 10),
            counts(101, 12),
            counts(98, 8),
        ] {
            let change = regressed.check(recorded).unwrap_err();
            assert!(
                matches!(change, CountsChange::Regressed { .. }),
                "{regressed:?}"
            );
            assert!(change.to_string().contains("STAGEC_BLESS=1"), "{change}");
        }
        for improved in [counts(102, 8), counts(100, 9), counts(101, 10)] {
            let change = improved.check(recorded).unwrap_err();
            assert!(
                matches!(change, CountsChange::Improved { .. }),
                "{improved:?}"
            );
            assert!(
                change.to_string().contains("update the counts file"),
                "{change}"
            );
        }
        let change = counts(100, 11).check(recorded).unwrap_err().to_string();
        assert!(change.contains("skipped 10 -> 11 (+1)"), "{change}");
        assert!(matches!(
            counts(1, 2).check(None),
            Err(CountsChange::Missing { .. })
        ));
    }
}
