//! Golden CLIF tests of specialization, like wasmtime's `tests/disas`.
//!
//! Each `tests/disas/*.wat` starts with a header: `;; FUNC: NAME` (the function to show)
//! and `;; ARGS: FLAGS` (the preimports, as on the `stagec` command line; `@FILE#EXPORT`
//! paths are relative to `tests/disas`). The expected optimized CLIF of the specialized
//! function follows the module as comment lines after `;; CLIF:`. The test runs
//! `stagec explain FILE --clif-only` and compares. Regenerate the expectations with
//! `STAGEC_BLESS=1 cargo test -p stagec-cli --test disas`.

use std::path::{Path, PathBuf};
use std::process::Command;

const STAGEC: &str = env!("CARGO_BIN_EXE_stagec");
const MARKER: &str = ";; CLIF:";

fn header<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .map(|rest| rest.trim())
}

/// The specialized CLIF that `stagec explain` prints for `file`.
fn actual_clif(dir: &Path, file: &Path, text: &str) -> String {
    let func = header(text, ";; FUNC:").expect("a `;; FUNC:` header");
    let args = header(text, ";; ARGS:").unwrap_or("");
    let output = Command::new(STAGEC)
        .arg("explain")
        .arg(file.file_name().unwrap())
        .args(["--clif-only", "--func", func])
        .args(args.split_whitespace())
        .current_dir(dir)
        .output()
        .expect("run stagec");
    assert!(
        output.status.success(),
        "{}: stagec explain failed:\n{}",
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn as_comment(clif: &str) -> String {
    let mut out = String::from(MARKER);
    out.push('\n');
    for line in clif.trim_end().lines() {
        let line = line.trim_end();
        out.push_str(if line.is_empty() { ";;" } else { ";; " });
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[test]
fn golden_clif() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/disas");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wat"))
        .collect();
    files.sort();
    assert!(files.len() >= 9, "golden files are missing");
    let bless = std::env::var_os("STAGEC_BLESS").is_some();
    let mut mismatches = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let (source, expected) = match text.find(MARKER) {
            Some(i) => (&text[..i], Some(&text[i..])),
            None => (text.as_str(), None),
        };
        let actual = as_comment(&actual_clif(&dir, file, source));
        if bless {
            std::fs::write(file, format!("{}\n{actual}", source.trim_end())).unwrap();
        } else if expected != Some(actual.as_str()) {
            mismatches.push(format!(
                "{}: expected\n{}\nactual\n{actual}",
                file.display(),
                expected.unwrap_or("(nothing)")
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "golden CLIF differs (STAGEC_BLESS=1 to accept):\n{}",
        mismatches.join("\n")
    );
}
