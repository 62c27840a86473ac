//! Test support for stagec: where the spec suite is, the list of spec commands that are
//! known to fail, and small helpers shared by the integration tests.

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
    use super::ShouldFail;

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
}
