//! `stagec bench`: the timed output (table and JSON), whose numbers vary from run to run,
//! checked for its structure and consistency. The untimed `--check-only` output and the
//! errors are snapshot-tested (tests/cli/bench.wat).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const STAGEC: &str = env!("CARGO_BIN_EXE_stagec");

/// A JSON value, as much of JSON as the test needs to read.
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Number(f64),
    String(String),
    Bool(bool),
    Array(Vec<Json>),
    Object(BTreeMap<String, Json>),
}

impl Json {
    fn get(&self, key: &str) -> &Json {
        match self {
            Json::Object(map) => map
                .get(key)
                .unwrap_or_else(|| panic!("no key `{key}` in {self:?}")),
            _ => panic!("not an object: {self:?}"),
        }
    }
    fn number(&self) -> f64 {
        match self {
            Json::Number(n) => *n,
            _ => panic!("not a number: {self:?}"),
        }
    }
    fn array(&self) -> &[Json] {
        match self {
            Json::Array(items) => items,
            _ => panic!("not an array: {self:?}"),
        }
    }
}

/// Parses a complete JSON document (no `null`, no exponents needed here but accepted).
fn parse_json(text: &str) -> Json {
    let bytes = text.trim().as_bytes();
    let mut at = 0;
    let value = parse_value(bytes, &mut at);
    assert_eq!(at, bytes.len(), "trailing characters after JSON: {text}");
    value
}

fn skip_space(b: &[u8], at: &mut usize) {
    while *at < b.len() && b[*at].is_ascii_whitespace() {
        *at += 1;
    }
}

fn expect(b: &[u8], at: &mut usize, c: u8) {
    skip_space(b, at);
    assert_eq!(b.get(*at), Some(&c), "expected `{}` at {at}", c as char);
    *at += 1;
}

fn parse_value(b: &[u8], at: &mut usize) -> Json {
    skip_space(b, at);
    match b.get(*at).copied() {
        Some(b'{') => {
            *at += 1;
            let mut map = BTreeMap::new();
            skip_space(b, at);
            if b.get(*at) == Some(&b'}') {
                *at += 1;
                return Json::Object(map);
            }
            loop {
                skip_space(b, at);
                let Json::String(key) = parse_value(b, at) else {
                    panic!("object key is not a string at {at}");
                };
                expect(b, at, b':');
                let value = parse_value(b, at);
                assert!(map.insert(key, value).is_none(), "duplicate key");
                skip_space(b, at);
                match b.get(*at) {
                    Some(b',') => *at += 1,
                    Some(b'}') => {
                        *at += 1;
                        return Json::Object(map);
                    }
                    other => panic!("unexpected {other:?} in object at {at}"),
                }
            }
        }
        Some(b'[') => {
            *at += 1;
            let mut items = Vec::new();
            skip_space(b, at);
            if b.get(*at) == Some(&b']') {
                *at += 1;
                return Json::Array(items);
            }
            loop {
                items.push(parse_value(b, at));
                skip_space(b, at);
                match b.get(*at) {
                    Some(b',') => *at += 1,
                    Some(b']') => {
                        *at += 1;
                        return Json::Array(items);
                    }
                    other => panic!("unexpected {other:?} in array at {at}"),
                }
            }
        }
        Some(b'"') => {
            *at += 1;
            let mut s = String::new();
            while b[*at] != b'"' {
                if b[*at] == b'\\' {
                    *at += 1;
                    s.push(match b[*at] {
                        b'n' => '\n',
                        c => c as char,
                    });
                } else {
                    s.push(b[*at] as char);
                }
                *at += 1;
            }
            *at += 1;
            Json::String(s)
        }
        Some(b't') if b[*at..].starts_with(b"true") => {
            *at += 4;
            Json::Bool(true)
        }
        Some(b'f') if b[*at..].starts_with(b"false") => {
            *at += 5;
            Json::Bool(false)
        }
        _ => {
            let start = *at;
            while *at < b.len() && (b[*at].is_ascii_digit() || b"+-.eE".contains(&b[*at])) {
                *at += 1;
            }
            let text = std::str::from_utf8(&b[start..*at]).unwrap();
            Json::Number(
                text.parse()
                    .unwrap_or_else(|_| panic!("not a JSON value at {start}: `{text}`")),
            )
        }
    }
}

fn bench(args: &[&str]) -> (bool, String, String) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli");
    let out = Command::new(STAGEC)
        .arg("bench")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run stagec");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const SUM: [&str; 6] = [
    "bench.wat",
    "--invoke",
    "sum",
    "--preimport",
    "env.n=1000",
    "--preimport=env.hash=@providers/hash.wat#hash",
];

#[test]
fn json_has_every_sample_and_a_consistent_speedup() {
    let mut args = SUM.to_vec();
    args.extend(["--json", "--runs", "5", "--warmup", "1"]);
    let (ok, stdout, stderr) = bench(&args);
    assert!(ok, "stagec bench failed: {stderr}");
    assert_eq!(stdout.lines().count(), 1, "one JSON line: {stdout}");
    let json = parse_json(&stdout);
    assert_eq!(json.get("invoke"), &Json::String("sum".into()));
    // sum of (i + 1000) * 31 for i < 1000
    assert_eq!(
        json.get("results"),
        &Json::Array(vec![Json::String("46484500".into())])
    );
    assert_eq!(json.get("runs").number(), 5.0);
    let calls = json.get("calls_per_run").number();
    assert!(
        calls >= 1.0 && calls.fract() == 0.0,
        "calls_per_run {calls}"
    );
    let mut medians = Vec::new();
    for build in ["specialized", "indirection"] {
        let b = json.get(build);
        let samples: Vec<f64> = b
            .get("samples_ms")
            .array()
            .iter()
            .map(Json::number)
            .collect();
        assert_eq!(samples.len(), 5, "{build}: one sample per run");
        assert!(samples.iter().all(|&s| s > 0.0), "{build}: {samples:?}");
        let (median, min) = (b.get("median_ms").number(), b.get("min_ms").number());
        let mut sorted = samples.clone();
        sorted.sort_by(f64::total_cmp);
        assert!(
            (median - sorted[2]).abs() <= 1e-6,
            "{build}: median {median} of {sorted:?}"
        );
        assert!(
            (min - sorted[0]).abs() <= 1e-6,
            "{build}: min {min} of {sorted:?}"
        );
        assert!(b.get("compile_ms").number() > 0.0);
        medians.push(median);
    }
    let speedup = json.get("speedup").number();
    let expected = medians[1] / medians[0];
    assert!(
        (speedup - expected).abs() <= expected * 1e-3 + 1e-3,
        "speedup {speedup}, medians give {expected}"
    );
}

#[test]
fn table_lists_both_builds() {
    let mut args = SUM.to_vec();
    args.extend(["--runs", "3", "--warmup", "0"]);
    let (ok, stdout, stderr) = bench(&args);
    assert!(ok, "stagec bench failed: {stderr}");
    assert!(
        stdout.starts_with("bench.wat: sum() = 46484500, the same for both builds\n"),
        "{stdout}"
    );
    for build in ["specialized", "indirection"] {
        let row = stdout
            .lines()
            .find(|l| l.starts_with(&format!("| {build} ")))
            .unwrap_or_else(|| panic!("no row for {build}:\n{stdout}"));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        // "", build, median, min, runs, compile, ""
        assert_eq!(cells.len(), 7, "{row}");
        let median: f64 = cells[2].parse().expect("median");
        let min: f64 = cells[3].parse().expect("min");
        assert!(min > 0.0 && min <= median, "{row}");
        assert_eq!(cells[4], "3", "{row}");
    }
    assert!(stdout.contains("speedup of specialization"), "{stdout}");
}

#[test]
fn staged_modules_are_refused() {
    let (ok, stdout, stderr) = bench(&["staged_run.swat", "--invoke", "main"]);
    assert!(!ok && stdout.is_empty());
    assert!(
        stderr.starts_with("error: staged_run.swat: bench compares core modules"),
        "{stderr}"
    );
}
