//! Stopping runaway code: interrupt handles and the deadline watchdog.
//!
//! Code compiled with [`Config::interruptible`](crate::Config::interruptible) checks its
//! store's interrupt flag (`VMStoreContext::interrupt`) at every function entry and loop
//! header and traps with [`TrapKind::Interrupted`](crate::TrapKind::Interrupted) when it is
//! set. An [`InterruptHandle`] sets the flag from any thread. A deadline
//! ([`Store::set_deadline`](crate::Store::set_deadline)) is a timer of one process-wide
//! watchdog thread, armed when an outermost call into the store begins and disarmed when
//! it returns; when it expires, the watchdog sets the flag.

use crate::error::{ResourceError, Result};
use stagec_runtime::vm::VMStoreContext;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// Interrupts the code running in a store, from any thread.
///
/// Obtained with [`Store::interrupt_handle`](crate::Store::interrupt_handle). The running
/// call stops at its next function entry or loop header with a trap of kind
/// [`TrapKind::Interrupted`](crate::TrapKind::Interrupted); calls nested in it (wasm →
/// host → wasm) stop as they return to wasm code. The flag is cleared when the next
/// outermost call into the store begins, so an interrupt while no wasm code runs has no
/// effect, and the store stays usable after an interrupted call. The handle may outlive its
/// store (interrupting then does nothing).
#[derive(Clone)]
pub struct InterruptHandle {
    pub(crate) ctx: Arc<VMStoreContext>,
}

impl std::fmt::Debug for InterruptHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InterruptHandle").finish_non_exhaustive()
    }
}

impl InterruptHandle {
    /// Asks the call running in the store to stop.
    pub fn interrupt(&self) {
        self.ctx.interrupt.store(1, Ordering::Relaxed);
    }
}

/// Pending deadlines, earliest first; the `u64` tells equal instants apart.
#[derive(Default)]
struct Timers {
    next_id: u64,
    pending: BTreeMap<(Instant, u64), Arc<VMStoreContext>>,
}

/// The process-wide watchdog: one thread that sets the interrupt flag of each store whose
/// deadline has passed.
struct Watchdog {
    timers: Mutex<Timers>,
    wake: Condvar,
}

impl Watchdog {
    fn lock(&self) -> MutexGuard<'_, Timers> {
        self.timers.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn run(&self) {
        let mut timers = self.lock();
        loop {
            let now = Instant::now();
            while let Some(entry) = timers.pending.first_entry() {
                if entry.key().0 > now {
                    break;
                }
                entry.remove().interrupt.store(1, Ordering::Relaxed);
            }
            timers = match timers.pending.keys().next() {
                None => self.wake.wait(timers).unwrap_or_else(|e| e.into_inner()),
                Some(&(at, _)) => {
                    let waited = self.wake.wait_timeout(timers, at - now);
                    waited.unwrap_or_else(|e| e.into_inner()).0
                }
            };
        }
    }
}

/// The watchdog, started on first use; `None` if its thread could not be started.
fn watchdog() -> Option<&'static Watchdog> {
    static WATCHDOG: OnceLock<Option<&'static Watchdog>> = OnceLock::new();
    *WATCHDOG.get_or_init(|| {
        let dog: &'static Watchdog = Box::leak(Box::new(Watchdog {
            timers: Mutex::new(Timers::default()),
            wake: Condvar::new(),
        }));
        std::thread::Builder::new()
            .name("stagec-deadline".into())
            .spawn(move || dog.run())
            .ok()
            .map(|_| dog)
    })
}

/// An armed deadline; dropping it disarms the timer.
#[derive(Debug)]
pub(crate) struct DeadlineGuard {
    key: (Instant, u64),
}

impl Drop for DeadlineGuard {
    fn drop(&mut self) {
        if let Some(dog) = watchdog() {
            dog.lock().pending.remove(&self.key);
        }
    }
}

/// Sets `ctx`'s interrupt flag `after` from now unless the returned guard is dropped
/// first. `None` when the deadline is too far in the future to represent (it never
/// expires).
pub(crate) fn arm(ctx: &Arc<VMStoreContext>, after: Duration) -> Result<Option<DeadlineGuard>> {
    let Some(at) = Instant::now().checked_add(after) else {
        return Ok(None);
    };
    let dog = watchdog().ok_or(ResourceError::Watchdog)?;
    let mut timers = dog.lock();
    let key = (at, timers.next_id);
    timers.next_id += 1;
    timers.pending.insert(key, ctx.clone());
    drop(timers);
    dog.wake.notify_one();
    Ok(Some(DeadlineGuard { key }))
}
