//! The WebAssembly spec test suite: one test per `.wast` file of the suite's `core/`
//! directory, run by `stagec::wast`.
//!
//! A test fails iff a command failed that is not listed in `tests/spec-should-fail.txt`, or
//! a listed command passes ("now passes, remove it from the list"), or the file's counts of
//! passed and skipped commands (skipped: they need features stagec does not support) differ
//! from its line in `tests/spec-counts.txt` for that configuration: more skipped or fewer
//! passed is a regression, fewer skipped or more passed asks to update the file, so that
//! it always says what the engine does. Before the closing `test result:` line the harness
//! prints the totals per configuration.
//!
//! Environment:
//! - `STAGEC_SPEC_TESTSUITE`: the testsuite root (default `../shared/testsuite`);
//! - `CI=true`: a missing suite is a failure instead of a skip;
//! - `STAGEC_SPEC_REPORT=FILE`: also write every file's counts and failures to FILE;
//! - `STAGEC_BLESS=1`: do not compare the counts; rewrite `tests/spec-counts.txt` with
//!   this run's (lines of files that were not run are kept, lines of files or
//!   configurations that no longer exist are dropped).

use libtest_mimic::{Arguments, Failed, Trial};
use stagec::wast::WastReport;
use stagec_tests::{
    CommandCounts, ShouldFail, SpecCounts, blessing, suite_root, wast_files, workspace_root,
};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Stack of the thread each script runs on: spec scripts recurse deeply.
const THREAD_STACK: usize = 64 << 20;
/// Configurations every file runs under: `plain` (every import linked at run time) and
/// `preimport` (every `spectest` global import bound at compile time, so modules are
/// compiled specialized on the values) and `single` (every module compiled as the `single`
/// stage of a staged module, its imports bound at compile time).
const CONFIGS: &[&str] = &["plain", "preimport", "single"];

fn wast_config(name: &str) -> stagec::wast::WastConfig {
    match name {
        "preimport" => stagec::wast::WastConfig::PREIMPORT,
        "single" => stagec::wast::WastConfig::SINGLE,
        _ => stagec::wast::WastConfig::PLAIN,
    }
}
/// Failures listed in a test's message before "... and N more".
const MAX_LISTED: usize = 40;
/// The committed per-file, per-configuration counts, relative to the workspace root.
const COUNTS_FILE: &str = "tests/spec-counts.txt";

/// Counts over the files run so far, printed (and blessed) when the last selected file is
/// done.
#[derive(Default)]
struct Totals {
    selected: usize,
    reports: Vec<(String, WastReport, usize)>,
    /// The suite's file names: blessing drops lines of other files.
    files: Vec<String>,
    /// The committed counts, which blessing updates.
    counts: SpecCounts,
}

fn main() {
    let args = Arguments::from_args();
    let totals = Arc::new(Mutex::new(Totals::default()));
    let trials = match trials(&totals) {
        Ok(trials) => trials,
        Err(message) => vec![Trial::test("spec-setup", move || Err(message.into()))],
    };
    let selected = trials
        .iter()
        .filter(|t| CONFIGS.contains(&t.kind()))
        .filter(|t| !args.is_filtered_out(t) && !args.is_ignored(t))
        .count();
    lock(&totals).selected = selected;
    libtest_mimic::run(&args, trials).exit();
}

fn trials(totals: &Arc<Mutex<Totals>>) -> Result<Vec<Trial>, String> {
    let root = suite_root();
    let core = root.join("core");
    if !core.is_dir() {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        eprintln!();
        eprintln!("**********************************************************************");
        eprintln!(
            "  WebAssembly spec testsuite not found at {}",
            core.display()
        );
        eprintln!("  Set STAGEC_SPEC_TESTSUITE to a testsuite checkout (the directory");
        eprintln!(
            "  containing core/). The spec tests are {}.",
            if ci { "FAILING (CI=true)" } else { "SKIPPED" }
        );
        eprintln!("**********************************************************************");
        eprintln!();
        let missing = format!("spec testsuite not found at {}", core.display());
        let trial = Trial::test("spec-testsuite-present", move || Err(missing.into()));
        return Ok(vec![trial.with_ignored_flag(!ci)]);
    }
    let list_path = workspace_root().join("tests/spec-should-fail.txt");
    let should_fail = ShouldFail::load(&list_path)?;
    let files = wast_files(&core).map_err(|e| format!("{}: {e}", core.display()))?;

    let mut trials = Vec::new();
    let names: Vec<String> = files.iter().map(|f| file_name(f)).collect();
    let stale: Vec<&String> = should_fail
        .entries
        .keys()
        .filter(|f| !names.contains(f))
        .collect();
    if !stale.is_empty() {
        let message = format!(
            "{} lists files that are not in the suite: {stale:?}",
            list_path.display()
        );
        trials.push(Trial::test("spec-should-fail-list", move || {
            Err(message.into())
        }));
    }
    let counts = SpecCounts::load(&workspace_root().join(COUNTS_FILE))?;
    let stale_counts: Vec<String> = counts
        .entries
        .keys()
        .filter(|(file, config)| !names.contains(file) || !CONFIGS.contains(&config.as_str()))
        .map(|(file, config)| format!("{file} {config}"))
        .collect();
    if !stale_counts.is_empty() && !blessing() {
        let message = format!(
            "{COUNTS_FILE} has lines for files or configurations that are not run: \
             {stale_counts:?}; drop them with `{}`",
            stagec_tests::SPEC_BLESS_COMMAND
        );
        trials.push(Trial::test("spec-counts-file", move || Err(message.into())));
    }
    for config in CONFIGS {
        for (path, name) in files.iter().zip(&names) {
            let expected = should_fail.lines(name);
            let recorded = counts.get(name, config);
            let (path, name2, totals) = (path.clone(), name.clone(), totals.clone());
            let trial = Trial::test(name.clone(), move || {
                run_file(&path, &name2, config, &expected, recorded, &totals)
            });
            trials.push(trial.with_kind(*config));
        }
    }
    let mut t = lock(totals);
    t.files = names;
    t.counts = counts;
    drop(t);
    Ok(trials)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn lock(totals: &Mutex<Totals>) -> std::sync::MutexGuard<'_, Totals> {
    totals.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs one script and checks its failures against the should-fail list and its counts
/// against the `recorded` ones (unless blessing).
fn run_file(
    path: &Path,
    name: &str,
    config: &str,
    expected: &std::collections::BTreeMap<usize, String>,
    recorded: Option<CommandCounts>,
    totals: &Mutex<Totals>,
) -> Result<(), Failed> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let script_name = name.to_string();
    let wast_config = wast_config(config);
    let report = std::thread::Builder::new()
        .name(format!("spec {name}"))
        .stack_size(THREAD_STACK)
        .spawn(
            move || match stagec::Engine::new(stagec::Config::default()) {
                Ok(engine) => {
                    stagec::wast::run_wast_source_config(&engine, wast_config, &script_name, &text)
                }
                Err(e) => panic!("cannot create an engine: {e}"),
            },
        )
        .map_err(|e| format!("cannot spawn the script thread: {e}"))?
        .join()
        .map_err(|_| "the script runner panicked".to_string())?;

    let is_expected = |line: usize| expected.contains_key(&line);
    let unexpected: Vec<_> = report
        .failures
        .iter()
        .filter(|f| !is_expected(f.line) && !f.caused_by.is_some_and(is_expected))
        .collect();
    let now_passing: Vec<_> = expected
        .iter()
        .filter(|(line, _)| !report.failures.iter().any(|f| f.line == **line))
        .collect();
    let expected_failures = report.failures.len() - unexpected.len();

    let mut message = String::new();
    if !unexpected.is_empty() {
        let _ = writeln!(
            message,
            "{} of {} commands failed ({} passed, {} skipped, {expected_failures} expected to fail):",
            unexpected.len(),
            report.passed + report.failed() + report.skipped,
            report.passed,
            report.skipped
        );
        for f in unexpected.iter().take(MAX_LISTED) {
            let _ = writeln!(message, "  {name}:{f}");
        }
        if unexpected.len() > MAX_LISTED {
            let _ = writeln!(message, "  ... and {} more", unexpected.len() - MAX_LISTED);
        }
    }
    for (line, reason) in &now_passing {
        let _ = writeln!(
            message,
            "{name}:{line} now passes: remove it from tests/spec-should-fail.txt ({reason})"
        );
    }
    let actual = CommandCounts {
        passed: report.passed,
        skipped: report.skipped,
    };
    if let (Err(change), false) = (actual.check(recorded), blessing()) {
        let _ = writeln!(message, "{name} [{config}]: {change}");
    }
    if let Err(e) = record(totals, config, report, expected_failures) {
        let _ = writeln!(message, "{e}");
    }
    if message.is_empty() {
        Ok(())
    } else {
        Err(message.into())
    }
}

/// Adds a report to the totals; the last selected file prints them (and blesses the
/// counts file if asked to).
fn record(
    totals: &Mutex<Totals>,
    config: &str,
    report: WastReport,
    expected_failures: usize,
) -> Result<(), String> {
    let mut totals = lock(totals);
    totals
        .reports
        .push((config.to_string(), report, expected_failures));
    if totals.reports.len() != totals.selected {
        return Ok(());
    }
    println!();
    for config in CONFIGS {
        let reports: Vec<_> = totals.reports.iter().filter(|r| r.0 == *config).collect();
        let sum = |f: fn(&WastReport) -> usize| reports.iter().map(|r| f(&r.1)).sum::<usize>();
        let expected: usize = reports.iter().map(|r| r.2).sum();
        println!(
            "spec totals [{config}]: {} files, commands {} passed / {} failed ({expected} expected) / {} skipped",
            reports.len(),
            sum(|r| r.passed),
            sum(|r| r.failed()),
            sum(|r| r.skipped),
        );
    }
    if blessing() {
        bless(&totals)?;
    }
    if let Some(path) = std::env::var_os("STAGEC_SPEC_REPORT") {
        let path = PathBuf::from(path);
        match std::fs::write(&path, detailed_report(&totals.reports)) {
            Ok(()) => println!("spec report written to {}", path.display()),
            Err(e) => println!("cannot write {}: {e}", path.display()),
        }
    }
    Ok(())
}

/// Rewrites the counts file: the committed lines of files still in the suite, updated with
/// every file run now.
fn bless(totals: &Totals) -> Result<(), String> {
    let mut counts = totals.counts.clone();
    counts.entries.retain(|(file, config), _| {
        totals.files.contains(file) && CONFIGS.contains(&config.as_str())
    });
    for (config, report, _) in &totals.reports {
        let actual = CommandCounts {
            passed: report.passed,
            skipped: report.skipped,
        };
        counts
            .entries
            .insert((report.name.clone(), config.clone()), actual);
    }
    let changed = counts
        .entries
        .iter()
        .filter(|&(key, c)| totals.counts.entries.get(key) != Some(c))
        .count()
        + totals
            .counts
            .entries
            .keys()
            .filter(|&key| !counts.entries.contains_key(key))
            .count();
    let path = workspace_root().join(COUNTS_FILE);
    std::fs::write(&path, counts.render())
        .map_err(|e| format!("cannot bless {}: {e}", path.display()))?;
    println!(
        "blessed {}: {} lines, {changed} changed",
        path.display(),
        counts.entries.len()
    );
    Ok(())
}

/// Every file's counts and failures, sorted by configuration and name.
fn detailed_report(reports: &[(String, WastReport, usize)]) -> String {
    let mut sorted: Vec<_> = reports.iter().collect();
    sorted.sort_by(|a, b| (&a.0, &a.1.name).cmp(&(&b.0, &b.1.name)));
    let mut out = String::new();
    for (config, report, _) in sorted {
        let _ = writeln!(out, "[{config}] {report}");
    }
    out
}
