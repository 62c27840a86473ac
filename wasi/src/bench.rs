//! The sightglass benchmark convention: a benchmark program imports `bench.start` and
//! `bench.end` (both `() -> ()`) and calls them around the region to measure. A plain run
//! defines them as no-ops ([`define_bench_noop`]); a harness passes its own hooks
//! ([`define_bench`]) or uses [`BenchTimer`].

use crate::WasiError;
use stagec::{Func, FuncType, Linker, Store};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The import module name of the benchmark hooks.
pub const BENCH_MODULE: &str = "bench";

/// Defines `bench.start` and `bench.end` in `linker`, calling `on_start` and `on_end`.
/// A hook that returns an error makes the call trap with it.
pub fn define_bench(
    linker: &mut Linker,
    store: &mut Store,
    on_start: impl Fn() -> Result<(), WasiError> + Send + Sync + 'static,
    on_end: impl Fn() -> Result<(), WasiError> + Send + Sync + 'static,
) -> stagec::Result<()> {
    let ty = FuncType::new([], []);
    let start = Func::new(store, ty.clone(), move |_, _, _| {
        on_start().map_err(WasiError::into_host)
    })?;
    let end = Func::new(store, ty, move |_, _, _| {
        on_end().map_err(WasiError::into_host)
    })?;
    linker.define(BENCH_MODULE, "start", start);
    linker.define(BENCH_MODULE, "end", end);
    Ok(())
}

/// Defines `bench.start` and `bench.end` as functions that do nothing.
pub fn define_bench_noop(linker: &mut Linker, store: &mut Store) -> stagec::Result<()> {
    define_bench(linker, store, || Ok(()), || Ok(()))
}

/// Times the regions between `bench.start` and `bench.end`. Clones share the
/// measurements.
#[derive(Clone, Debug, Default)]
pub struct BenchTimer {
    state: Arc<Mutex<TimerState>>,
}

#[derive(Debug, Default)]
struct TimerState {
    started: Option<Instant>,
    regions: Vec<Duration>,
}

impl BenchTimer {
    /// A timer with no measurements.
    pub fn new() -> BenchTimer {
        BenchTimer::default()
    }

    /// Defines `bench.start` and `bench.end` in `linker` to time into this timer. A
    /// `bench.end` without a `bench.start` before it traps
    /// ([`WasiError::BenchEndWithoutStart`]); a second `bench.start` restarts the region.
    pub fn define(&self, linker: &mut Linker, store: &mut Store) -> stagec::Result<()> {
        let (start, end) = (self.state.clone(), self.state.clone());
        define_bench(
            linker,
            store,
            move || {
                lock(&start).started = Some(Instant::now());
                Ok(())
            },
            move || {
                let now = Instant::now();
                let mut state = lock(&end);
                let began = state
                    .started
                    .take()
                    .ok_or(WasiError::BenchEndWithoutStart)?;
                state.regions.push(now - began);
                Ok(())
            },
        )
    }

    /// The measured regions, in order.
    pub fn regions(&self) -> Vec<Duration> {
        lock(&self.state).regions.clone()
    }

    /// Forgets every measurement (and a region still open).
    pub fn reset(&self) {
        *lock(&self.state) = TimerState::default();
    }
}

fn lock(state: &Mutex<TimerState>) -> std::sync::MutexGuard<'_, TimerState> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}
