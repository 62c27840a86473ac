//! The differential suite: every case of the WASI program suite runs on stagec (through
//! `stagec-wasi`) and on wasmtime 48 with wasmtime-wasi's preview 1, with the same
//! arguments, environment, standard input and a fresh copy of the same directory tree.
//! Standard output, standard error, the exit status (or the fact of a trap) and the tree
//! left behind must be identical. The WASI functions the suite calls on stagec are counted
//! and the count is checked.

mod common;

use common::{Outcome, Status, cases, program};
use std::collections::BTreeMap;

/// The lines of `a` and `b` (stagec and wasmtime) that differ, by line number.
fn line_diff(what: &str, a: &[u8], b: &[u8]) -> String {
    let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
    let (a, b): (Vec<_>, Vec<_>) = (a.lines().collect(), b.lines().collect());
    let mut out = String::new();
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (a.get(i), b.get(i));
        if x != y {
            out += &format!(
                "  {what} line {}:\n    stagec:   {x:?}\n    wasmtime: {y:?}\n",
                i + 1
            );
        }
    }
    out
}

/// What differs between two outcomes (stagec's first).
fn differences(ours: &Outcome, theirs: &Outcome) -> String {
    let mut out = String::new();
    if ours.status != theirs.status {
        out += &format!(
            "  status: stagec {:?}, wasmtime {:?}\n",
            ours.status, theirs.status
        );
    }
    out += &line_diff("stdout", &ours.stdout, &theirs.stdout);
    out += &line_diff("stderr", &ours.stderr, &theirs.stderr);
    for key in ours.tree.keys().chain(theirs.tree.keys()) {
        let (x, y) = (ours.tree.get(key), theirs.tree.get(key));
        if x != y {
            let brief = |e: Option<&common::Entry>| match e {
                Some(common::Entry::File(bytes)) => format!("file of {} bytes", bytes.len()),
                other => format!("{other:?}"),
            };
            out += &format!("  tree {key}: stagec {}, wasmtime {}\n", brief(x), brief(y));
        }
    }
    out
}

#[test]
fn suite_matches_wasmtime() {
    let stagec_engine = stagec::Engine::new(stagec::Config::default()).expect("engine");
    let wasmtime_engine = wasmtime::Engine::default();
    let mut modules = BTreeMap::new();
    let mut calls: BTreeMap<&'static str, u64> = BTreeMap::new();
    let (mut compared, mut traps, mut exits_nonzero) = (0, 0, 0);
    let cases = cases();
    let mut failures = Vec::new();
    let mut specialized_runs = 0;
    for case in &cases {
        let (stagec_module, wasmtime_module) = modules.entry(case.program).or_insert_with(|| {
            let bytes = program(case.program);
            (
                stagec::Module::new(&stagec_engine, &bytes).expect("stagec compiles"),
                wasmtime::Module::new(&wasmtime_engine, &bytes).expect("wasmtime compiles"),
            )
        });
        let (ours, wasi) = common::run_stagec::run(&stagec_engine, stagec_module, case);
        // A program with parameters also runs specialized: the `env` globals bound before
        // compilation, the WASI functions still host calls. Same outcome.
        if !case.globals.is_empty() {
            let mut preimports = stagec::Preimports::new();
            for (name, value) in &case.globals {
                preimports.value("env", name, stagec::Val::I32(*value));
            }
            let bytes = program(case.program);
            let special = stagec::Module::with_preimports(&stagec_engine, &bytes, &preimports)
                .expect("specializes");
            assert!(special.imports().all(|(m, _, _)| m != "env"));
            let (specialized, _) = common::run_stagec::run(&stagec_engine, &special, case);
            assert_eq!(
                specialized, ours,
                "case {}: specialized differs from generic",
                case.label
            );
            specialized_runs += 1;
        }
        let theirs = common::run_wasmtime::run(&wasmtime_engine, wasmtime_module, case);
        // STAGEC_WASI_SHOW=LABEL prints what a case wrote.
        if std::env::var("STAGEC_WASI_SHOW").is_ok_and(|l| l == case.label) {
            println!(
                "--- {} stdout:\n{}",
                case.label,
                String::from_utf8_lossy(&ours.stdout)
            );
            println!(
                "--- {} stderr:\n{}",
                case.label,
                String::from_utf8_lossy(&ours.stderr)
            );
        }
        if ours != theirs {
            failures.push(format!(
                "case {}:\n{}",
                case.label,
                differences(&ours, &theirs)
            ));
            continue;
        }
        println!(
            "{:<20} {:?}, {} bytes out, {} bytes err, {} tree entries: identical",
            case.label,
            ours.status,
            ours.stdout.len(),
            ours.stderr.len(),
            ours.tree.len()
        );
        compared += 1;
        match ours.status {
            Status::Trap => traps += 1,
            Status::Exit(0) => {}
            Status::Exit(_) => exits_nonzero += 1,
        }
        for (name, n) in wasi.call_counts() {
            *calls.entry(name).or_default() += n;
        }
    }
    assert!(
        failures.is_empty(),
        "{} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let used: Vec<_> = calls.iter().filter(|(_, n)| **n > 0).collect();
    println!(
        "{compared} cases compared ({traps} traps, {exits_nonzero} non-zero exits), {} programs",
        modules.len()
    );
    println!(
        "{} of {} WASI functions exercised:",
        used.len(),
        stagec_wasi::FUNCTIONS.len()
    );
    for (name, n) in &used {
        println!("  {name:<24} {n:>8}");
    }
    let unused: Vec<_> = calls
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(k, _)| k)
        .collect();
    println!("not exercised: {unused:?}");
    assert_eq!(compared, cases.len());
    println!(
        "{specialized_runs} cases also run specialized (env globals as preimports), identical"
    );
    assert_eq!(compared, 34);
    assert_eq!(modules.len(), 17);
    assert_eq!(traps, 4);
    assert_eq!(exits_nonzero, 6);
    assert_eq!(specialized_runs, 4);
    assert_eq!(used.len(), 46);
}
