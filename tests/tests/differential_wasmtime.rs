//! Differential test against wasmtime 48: random modules from wasm-smith (configured to
//! stagec's feature set — Wasm 2.0 without SIMD, plus memory64, multi-memory and extended
//! constant expressions — with function, global, memory and table
//! imports) run on wasmtime, on stagec, and on stagec with a random subset of the imports
//! bound at compile time (`Module::with_preimports`). Instantiation, every exported
//! function's results or trap kind, the final bytes of every memory, every global, every
//! table element and the trace of host calls must agree. See `common/differential.rs`
//! for what exactly is compared.
//!
//! The budget is fixed and seeded: `STAGEC_DIFF_MODULES` seeds (default 12,000, about 45 s on
//! 2 cores in a debug build), `STAGEC_DIFF_SEED + i` (default seed 0). A seed gives one
//! module (or none, when wasm-smith gives up on its random bytes). `STAGEC_DIFF_SECONDS=N`
//! instead runs for N seconds, however many modules that is. `STAGEC_DIFF_VERBOSE=1`
//! prints every module's outcome on wasmtime.
//! A module that disagrees (or that wasmtime rejects) is written to
//! `$CARGO_TARGET_TMPDIR/differential/seed-N.wasm`; `STAGEC_DIFF_ONLY=N` reruns that seed.
//! For open-ended runs use the `differential` fuzz target (`fuzz/README.md`).
//!
//! The run also fails if it compared too little: modules compared, modules also run
//! specialized and calls compared must reach a fraction of what the default budget gave
//! when the minimums were set ([`DEFAULT_BUDGET_COUNTS`]), per seed tried (so
//! `STAGEC_DIFF_MODULES`, `STAGEC_DIFF_SEED` and `STAGEC_DIFF_SECONDS` scale them). The
//! default budget is deterministic, its counts change only with the code: 90% of them.
//! Other seeds differ by chance (calls per module vary a lot; runs of 1,000 seeds from
//! other bases gave 88% to 97% of the default calls per seed): 75%. Runs of fewer than
//! [`MIN_SEEDS_FOR_MINIMUMS`] seeds (among them `STAGEC_DIFF_ONLY`) check none.

#[path = "common/differential.rs"]
mod differential;

use differential::{Engines, Report, check_module, generate};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Seeds whose mismatch is a known, reported engine bug (seed, reason). Empty: every seed
/// of the default budget agrees.
const KNOWN_MISMATCHES: &[(u64, &str)] = &[];

const DEFAULT_MODULES: u64 = 12_000;

/// Modules compared, also specialized, and calls compared by the default budget (seeds
/// 0..12,000) when the minimums were set.
const DEFAULT_BUDGET_COUNTS: Counts = Counts {
    compared: 11_773,
    specialized: 8_131,
    calls: 48_966,
};
/// Fraction of [`DEFAULT_BUDGET_COUNTS`] the default budget must reach.
const DEFAULT_BUDGET_FRACTION: f64 = 0.9;
/// Fraction of [`DEFAULT_BUDGET_COUNTS`] per seed that other runs must reach.
const OTHER_SEEDS_FRACTION: f64 = 0.75;
/// Smaller runs check no minimums.
const MIN_SEEDS_FOR_MINIMUMS: u64 = 1_000;

/// The counts the minimums apply to.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Counts {
    compared: u64,
    specialized: u64,
    calls: u64,
}

impl Counts {
    /// The minimums for a run of `seeds` seeds from `base`: a fraction of the default
    /// budget's counts per seed; `None` for a run too small to check.
    fn minimums(base: u64, seeds: u64) -> Option<Counts> {
        if seeds < MIN_SEEDS_FOR_MINIMUMS {
            return None;
        }
        let fraction = if (base, seeds) == (0, DEFAULT_MODULES) {
            DEFAULT_BUDGET_FRACTION
        } else {
            OTHER_SEEDS_FRACTION
        };
        let per_seed = fraction * seeds as f64 / DEFAULT_MODULES as f64;
        let scale = |n: u64| (n as f64 * per_seed) as u64;
        let d = DEFAULT_BUDGET_COUNTS;
        Some(Counts {
            compared: scale(d.compared),
            specialized: scale(d.specialized),
            calls: scale(d.calls),
        })
    }

    /// What falls short of `minimums`, one line per count.
    fn shortfalls(self, minimums: Counts) -> Vec<String> {
        [
            ("modules compared", self.compared, minimums.compared),
            (
                "modules also specialized",
                self.specialized,
                minimums.specialized,
            ),
            ("calls compared", self.calls, minimums.calls),
        ]
        .into_iter()
        .filter(|(_, got, min)| got < min)
        .map(|(what, got, min)| format!("{what}: {got}, at least {min} expected"))
        .collect()
    }
}
const WORKERS: usize = 2;
const THREAD_STACK: usize = 64 << 20;

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

#[derive(Default)]
struct Totals {
    generated: usize,
    not_generated: usize,
    rejected: usize,
    compared: usize,
    specialized: usize,
    calls: usize,
    returned: usize,
    trapped: usize,
    instantiation_trapped: usize,
    inconclusive: usize,
    skipped_known: usize,
    mismatches: Vec<(u64, Vec<String>)>,
}

/// Writes a module that needs a look to `$CARGO_TARGET_TMPDIR/differential/seed-N.wasm`.
fn save(seed: u64, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("differential");
    let _ = std::fs::create_dir_all(&dir);
    let file = dir.join(format!("seed-{seed}.wasm"));
    let _ = std::fs::write(&file, bytes);
    file
}

fn check_seed(engines: &Engines, seed: u64, totals: &Mutex<Totals>) {
    let Some(bytes) = generate(seed) else {
        totals.lock().unwrap().not_generated += 1;
        return;
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        check_module(engines, &bytes, seed)
    }));
    let report = outcome.unwrap_or_else(|panic| {
        let msg = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Report {
            mismatches: vec![format!("panic: {msg}")],
            ..Report::default()
        }
    });
    let mut t = totals.lock().unwrap();
    t.generated += 1;
    if let Some(why) = &report.rejected {
        t.rejected += 1;
        let file = save(seed, &bytes);
        eprintln!(
            "seed {seed}: wasmtime rejected the module ({}): {why}",
            file.display()
        );
        return;
    }
    t.compared += 1;
    t.calls += report.calls;
    t.returned += report.returned;
    t.trapped += report.trapped;
    t.instantiation_trapped += report.instantiation_trapped as usize;
    t.specialized += report.specialized as usize;
    t.inconclusive += report.inconclusive as usize;
    if report.mismatches.is_empty() {
        return;
    }
    if let Some((_, why)) = KNOWN_MISMATCHES.iter().find(|(s, _)| *s == seed) {
        eprintln!(
            "seed {seed}: known mismatch ({why}): {:?}",
            report.mismatches
        );
        t.skipped_known += 1;
        return;
    }
    let file = save(seed, &bytes);
    eprintln!(
        "seed {seed}: MISMATCH ({}):\n  {}",
        file.display(),
        report.mismatches.join("\n  ")
    );
    t.mismatches.push((seed, report.mismatches));
}

#[test]
fn minimums_scale_with_the_seeds_tried() {
    assert_eq!(Counts::minimums(0, MIN_SEEDS_FOR_MINIMUMS - 1), None);
    let full = Counts::minimums(0, DEFAULT_MODULES).unwrap();
    assert_eq!((full.compared, full.calls), (10_595, 44_069));
    let elsewhere = Counts::minimums(1_000_000, DEFAULT_MODULES).unwrap();
    assert_eq!(elsewhere.compared, 8_829);
    let half = Counts::minimums(0, DEFAULT_MODULES / 2).unwrap();
    assert_eq!(half.specialized, 3_049);
    assert_eq!(DEFAULT_BUDGET_COUNTS.shortfalls(full), Vec::<String>::new());
    let short = Counts {
        specialized: full.specialized - 1,
        ..full
    };
    assert_eq!(short.shortfalls(full).len(), 1);
}

#[test]
fn wasm_smith_modules_agree_with_wasmtime() {
    let base = env_u64("STAGEC_DIFF_SEED").unwrap_or(0);
    let only = env_u64("STAGEC_DIFF_ONLY");
    let deadline = env_u64("STAGEC_DIFF_SECONDS").map(|s| Instant::now() + Duration::from_secs(s));
    let count = match (only, deadline) {
        (Some(_), _) => 1,
        (None, Some(_)) => u64::MAX,
        (None, None) => env_u64("STAGEC_DIFF_MODULES").unwrap_or(DEFAULT_MODULES),
    };
    let next = Arc::new(AtomicU64::new(0));
    let totals = Arc::new(Mutex::new(Totals::default()));
    let started = Instant::now();
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let next = next.clone();
            let totals = totals.clone();
            std::thread::Builder::new()
                .stack_size(THREAD_STACK)
                .spawn(move || {
                    let engines = Engines::new();
                    loop {
                        if deadline.is_some_and(|d| Instant::now() >= d) {
                            break;
                        }
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= count {
                            break;
                        }
                        let seed = only.unwrap_or(base.wrapping_add(i));
                        check_seed(&engines, seed, &totals);
                    }
                })
                .expect("spawn worker")
        })
        .collect();
    for w in workers {
        w.join().expect("worker panicked outside a module check");
    }
    let t = totals.lock().unwrap();
    let seeds = (t.generated + t.not_generated) as u64;
    println!(
        "differential (seeds {base}..): {} modules generated ({} inputs wasm-smith gave up on), \
         {} compared ({} also specialized on preimports, {} trapped while instantiating), \
         {} calls compared (wasmtime: {} returned, {} trapped), \
         {} cut short by a one-sided stack overflow, {} rejected by wasmtime, \
         {} known mismatches skipped, {} mismatches, {:.1} s",
        t.generated,
        t.not_generated,
        t.compared,
        t.specialized,
        t.instantiation_trapped,
        t.calls,
        t.returned,
        t.trapped,
        t.inconclusive,
        t.rejected,
        t.skipped_known,
        t.mismatches.len(),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(
        t.rejected, 0,
        "wasm-smith produced modules wasmtime rejects"
    );
    if deadline.is_none() {
        assert_eq!(seeds, count, "not every seed of the budget was tried");
    }
    let counts = Counts {
        compared: t.compared as u64,
        specialized: t.specialized as u64,
        calls: t.calls as u64,
    };
    match Counts::minimums(base, seeds) {
        Some(minimums) => {
            let short = counts.shortfalls(minimums);
            assert!(
                short.is_empty(),
                "the run compared too little for {seeds} seeds (the engines or the \
                 generator stopped exercising something):\n  {}",
                short.join("\n  ")
            );
        }
        None => println!(
            "differential: {seeds} seeds, fewer than {MIN_SEEDS_FOR_MINIMUMS}: no minimum counts checked"
        ),
    }
    assert!(
        t.mismatches.is_empty(),
        "stagec disagrees with wasmtime on seeds {:?}",
        t.mismatches.iter().map(|(s, _)| *s).collect::<Vec<_>>()
    );
}
