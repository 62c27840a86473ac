//! Differential test against wasmtime 48's component model: every fixture of
//! `tests/fixtures/` and `STAGEC_COMPONENT_DIFF` (default 400) generated components
//! (`common/generate.rs`: wasm-smith modules wired into components) are instantiated and
//! called on stagec and on wasmtime; instantiation success, every call's result (floats
//! bit-exact except that NaNs are equal), trap (by class) or poisoning, and the host's
//! log must agree. A call that overflows the stack on either engine ends the comparison
//! of that component (frame sizes differ). stagec runs every component with its wiring
//! specialized (the default), and the fixtures also with `Specialize::Off`. `STAGEC_COMPONENT_DIFF_SEED` moves the seeds;
//! `STAGEC_COMPONENT_DIFF_ONLY=N` reruns one seed and prints its plan.

mod common;

use common::generate::generate_component;
use common::{Outcome, Run, Step, compare, fixtures_dir, load_fixtures, run_stagec, run_wasmtime};
use stagec_component::plan::ModuleIndex;
use stagec_component::{Component, Edge};

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

#[derive(Default, Debug)]
struct Totals {
    components: usize,
    calls: usize,
    returned: usize,
    trapped: usize,
    poisoned: usize,
    instantiation_failed: usize,
    inconclusive: usize,
    modules: usize,
    instances: usize,
    multiply_instantiated: usize,
    from_exports_args: usize,
    sibling_args: usize,
    host_imports: usize,
    /// Wiring edges compiled as known code, as constants.
    known_code_edges: usize,
    constant_edges: usize,
    not_generated: usize,
    mismatches: Vec<String>,
}

/// Counts a pair of runs; cut at the first stack overflow.
fn tally(t: &mut Totals, label: &str, stagec: &Run, wasmtime: &Run) {
    let overflow = |r: &Run| -> Option<usize> {
        r.as_ref()
            .ok()?
            .iter()
            .position(|o| matches!(o, Outcome::Trapped(class, _) if class == "stack"))
    };
    let cut = match (overflow(stagec), overflow(wasmtime)) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(usize::MAX).min(b.unwrap_or(usize::MAX))),
    };
    let truncate = |r: &Run| -> Run {
        r.clone()
            .map(|v| v.into_iter().take(cut.unwrap_or(usize::MAX)).collect())
    };
    let (a, b) = (truncate(stagec), truncate(wasmtime));
    if cut.is_some() {
        t.inconclusive += 1;
    }
    t.components += 1;
    match &b {
        Err(_) => t.instantiation_failed += 1,
        Ok(outcomes) => {
            for o in outcomes {
                match o {
                    Outcome::Returned(_) => t.returned += 1,
                    Outcome::Trapped(..) => t.trapped += 1,
                    Outcome::Poisoned => t.poisoned += 1,
                    Outcome::Log(_) => continue,
                }
                t.calls += 1;
            }
        }
    }
    let differences = compare(&a, &b);
    if !differences.is_empty() {
        t.mismatches
            .push(format!("{label}:\n  {}", differences.join("\n  ")));
    }
}

#[test]
fn components_agree_with_wasmtime() {
    let engine = stagec::Engine::new(stagec::Config::default()).unwrap();
    let wt = common::wasmtime_engine();
    let mut t = Totals::default();

    let fixtures = load_fixtures(&fixtures_dir());
    for f in &fixtures {
        let component = Component::from_binary(&engine, f.text.as_bytes())
            .unwrap_or_else(|e| panic!("{}: {e}", f.name));
        let wt_component = wasmtime::component::Component::new(&wt, &f.text)
            .unwrap_or_else(|e| panic!("{}: wasmtime: {e:?}", f.name));
        let a = run_stagec(&engine, &component, &f.steps);
        let b = run_wasmtime(&wt, &wt_component, &f.steps);
        tally(&mut t, &format!("fixture {}", f.name), &a, &b);
        let off = stagec_component::ComponentOptions {
            specialize: stagec_component::Specialize::Off,
            ..Default::default()
        };
        let generic = Component::from_binary_with(&engine, f.text.as_bytes(), &off)
            .unwrap_or_else(|e| panic!("{}: {e}", f.name));
        let a = run_stagec(&engine, &generic, &f.steps);
        tally(&mut t, &format!("fixture {} (off)", f.name), &a, &b);
    }
    let fixture_components = t.components;

    let base = env_u64("STAGEC_COMPONENT_DIFF_SEED").unwrap_or(0);
    let only = env_u64("STAGEC_COMPONENT_DIFF_ONLY");
    let count = if only.is_some() {
        1
    } else {
        env_u64("STAGEC_COMPONENT_DIFF").unwrap_or(400)
    };
    let started = std::time::Instant::now();
    for i in 0..count {
        let seed = only.unwrap_or(base + i);
        let Some(g) = generate_component(seed) else {
            t.not_generated += 1;
            continue;
        };
        let label = format!("seed {seed}");
        let wt_component = match wasmtime::component::Component::new(&wt, &g.bytes) {
            Ok(c) => c,
            Err(e) => {
                t.mismatches
                    .push(format!("{label}: wasmtime rejects it: {e:?}"));
                continue;
            }
        };
        let component = match Component::from_binary(&engine, &g.bytes) {
            Ok(c) => c,
            Err(e) => {
                t.mismatches.push(format!(
                    "{label}: stagec rejects it: {}",
                    common::error_chain(&e)
                ));
                continue;
            }
        };
        if only.is_some() {
            println!("{}", component.inspect());
        }
        t.modules += g.modules;
        t.instances += g.instances;
        t.multiply_instantiated += component
            .plan()
            .modules
            .iter()
            .filter(|m| m.instantiations.len() > 1)
            .count();
        for m in 0..component.plan().modules.len() {
            for edge in component.edges(ModuleIndex(m as u32)) {
                match edge {
                    Edge::KnownCode { .. } => t.known_code_edges += 1,
                    Edge::Constant(_) => t.constant_edges += 1,
                    Edge::Ordinary(_) => {}
                }
            }
        }
        t.from_exports_args += g.from_exports_args;
        t.sibling_args += g.sibling_args;
        t.host_imports += g.host_imports;
        let steps: Vec<Step> = g.steps;
        let a = run_stagec(&engine, &component, &steps);
        let b = run_wasmtime(&wt, &wt_component, &steps);
        tally(&mut t, &label, &a, &b);
    }
    let generated = t.components - fixture_components;
    println!(
        "component differential: {} components ({fixture_components} fixtures, {generated} \
         generated from {count} seeds, {} not generated), {} modules, {} core instances \
         ({} modules instantiated more than once, {} arguments built from exports, {} fed \
         by a sibling instance), {} host imports, {} edges specialized as known code and {} \
         as constants, {} calls ({} returned, {} trapped, {} \
         poisoned), {} instantiations failed on both, {} cut short by a stack overflow, \
         {} mismatches, {:.1} s",
        t.components,
        t.not_generated,
        t.modules,
        t.instances,
        t.multiply_instantiated,
        t.from_exports_args,
        t.sibling_args,
        t.host_imports,
        t.known_code_edges,
        t.constant_edges,
        t.calls,
        t.returned,
        t.trapped,
        t.poisoned,
        t.instantiation_failed,
        t.inconclusive,
        t.mismatches.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        t.mismatches.is_empty(),
        "stagec and wasmtime disagree:\n{}",
        t.mismatches.join("\n")
    );
    if only.is_none() && count >= 400 {
        // The default budget must exercise what it is meant to.
        // (Seeds 0..400 give 274 components, 3,645 calls of which 2,587 return.)
        assert!(
            generated >= 250,
            "only {generated} generated components compared"
        );
        assert!(t.calls >= 3_000, "only {} calls compared", t.calls);
        assert!(t.returned >= 2_000, "only {} calls returned", t.returned);
        assert!(t.trapped >= 200, "only {} calls trapped", t.trapped);
        assert!(t.multiply_instantiated >= 150, "{t:?}");
        assert!(t.from_exports_args >= 250, "{t:?}");
        assert!(t.sibling_args >= 50, "{t:?}");
        assert!(t.host_imports >= 600, "{t:?}");
        // (857 known-code and 74 constant edges.)
        assert!(t.known_code_edges >= 700, "{t:?}");
        assert!(t.constant_edges >= 50, "{t:?}");
    }
}
