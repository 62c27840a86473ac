//! `stagec bench`: the timed output (table and JSON), whose numbers vary from run to run,
//! checked for its structure and consistency (the JSON read by serde_json). The untimed
//! `--check-only` output and the errors are snapshot-tested (tests/cli/bench.wat).

use serde_json::Value;
use std::path::Path;
use std::process::Command;

const STAGEC: &str = env!("CARGO_BIN_EXE_stagec");

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

/// Whether `speedup` is the ratio of the medians (up to the rounding of printing and
/// parsing floats).
fn is_ratio(speedup: f64, [specialized, indirection]: [f64; 2]) -> bool {
    let expected = indirection / specialized;
    (speedup - expected).abs() <= expected * 1e-12
}

/// Runs `stagec bench` on SUM with `extra` flags and `--json`: the one line of output,
/// parsed.
fn bench_json(extra: &[&str]) -> Value {
    let mut args = SUM.to_vec();
    args.push("--json");
    args.extend(extra);
    let (ok, stdout, stderr) = bench(&args);
    assert!(ok, "stagec bench failed: {stderr}");
    assert_eq!(stdout.lines().count(), 1, "one JSON line: {stdout}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("invalid JSON ({e}): {stdout}"))
}

fn number(json: &Value, key: &str) -> f64 {
    json[key]
        .as_f64()
        .unwrap_or_else(|| panic!("`{key}` is not a number in {json}"))
}

/// Checks the structure of a `--json` report of `runs` runs (an odd number, so that the
/// median is a sample); returns the two medians.
fn check_report(json: &Value, runs: usize) -> [f64; 2] {
    assert!(runs % 2 == 1);
    assert_eq!(json["file"], "bench.wat");
    assert_eq!(json["invoke"], "sum");
    assert_eq!(json["args"], serde_json::json!([]));
    // sum of (i + 1000) * 31 for i < 1000
    assert_eq!(json["results"], serde_json::json!(["46484500"]));
    assert_eq!(json["runs"], runs);
    let calls = json["calls_per_run"].as_u64().expect("calls_per_run");
    assert!(calls >= 1, "calls_per_run {calls}");
    ["specialized", "indirection"].map(|build| {
        let b = &json[build];
        let samples: Vec<f64> = b["samples_ms"]
            .as_array()
            .unwrap_or_else(|| panic!("{build}: no samples in {json}"))
            .iter()
            .map(|s| s.as_f64().expect("a sample"))
            .collect();
        assert_eq!(samples.len(), runs, "{build}: one sample per run");
        assert!(samples.iter().all(|&s| s > 0.0), "{build}: {samples:?}");
        let (median, min) = (number(b, "median_ms"), number(b, "min_ms"));
        let mut sorted = samples.clone();
        sorted.sort_by(f64::total_cmp);
        assert_eq!(median, sorted[runs / 2], "{build}: median of {sorted:?}");
        assert_eq!(min, sorted[0], "{build}: min of {sorted:?}");
        assert!(number(b, "compile_ms") > 0.0);
        median
    })
}

#[test]
fn json_has_every_sample_and_a_consistent_speedup() {
    let json = bench_json(&["--runs", "5", "--warmup", "1"]);
    let medians = check_report(&json, 5);
    assert_eq!(json["warmup"], 1);
    assert!(is_ratio(number(&json, "speedup"), medians), "{json}");
}

#[test]
fn json_of_a_single_run_without_warm_up() {
    let json = bench_json(&["--runs", "1", "--warmup", "0"]);
    let medians = check_report(&json, 1);
    assert_eq!(json["warmup"], 0);
    assert!(is_ratio(number(&json, "speedup"), medians), "{json}");
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
