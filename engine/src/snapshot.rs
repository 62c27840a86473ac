//! Snapshots of a compilation's compile-time state, so that loading a serialized
//! compilation restores its providers and stages instead of re-running their start
//! functions (the work a `pre` stage exists to do once).
//!
//! Loading instantiates the providers again, in the same order, with their start
//! functions skipped. Two things are restored:
//! - after each provider's instantiation, every provider global and memory size as they
//!   were at that point of the compilation (what later bindings read: a `pre` stage's
//!   mutable global frozen into a constant, a memory's size matched against an import);
//! - at the end, every provider global and memory's contents.
//!
//! That is the whole state only when no provider has a table (whose funcrefs a start
//! function may have written), a reference-typed global or a passive data segment (whose
//! dropped flag a start function may have set): compilations with any of those have no
//! snapshot and re-run their start functions when loaded.

use crate::error::SnapshotMismatch;
use stagec_environ::codec::{DecodeError, Reader, Writer};
use stagec_frontend::{DataMode, ModuleInfo};

/// One provider's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProviderState {
    /// Raw values of its defined globals.
    pub(crate) globals: Vec<u128>,
    /// Of each defined memory: its size in pages, and its contents (empty in the
    /// per-instantiation steps, which only restore sizes).
    pub(crate) memories: Vec<(u64, Vec<u8>)>,
}

/// The state of a compilation's providers: after each instantiation, and at the end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Snapshot {
    /// `steps[k]`: providers `0..=k` after provider `k` was instantiated.
    pub(crate) steps: Vec<Vec<ProviderState>>,
    /// Every provider at the end of the compilation, with memory contents.
    pub(crate) last: Vec<ProviderState>,
}

/// Whether a provider's whole state is its globals and memories.
pub(crate) fn snapshottable(info: &ModuleInfo) -> bool {
    info.tables.is_empty()
        && info.globals.iter().all(|g| !g.ty.is_ref())
        && info
            .datas
            .iter()
            .all(|d| matches!(d.mode, DataMode::Active { .. }))
}

/// The state of `rt` (an instance of module `info`).
pub(crate) fn capture(
    rt: &stagec_runtime::Instance,
    info: &ModuleInfo,
    contents: bool,
) -> ProviderState {
    let globals = (info.num_imported_globals..info.globals.len() as u32)
        // SAFETY: a defined global of a live instance.
        .map(|i| unsafe { (*rt.global(i)).0.0 })
        .collect();
    let memories = (info.num_imported_memories..info.memories.len() as u32)
        .map(|i| {
            // SAFETY: a defined memory of a live instance.
            let m = unsafe { &*rt.memory(i) };
            let bytes = if contents {
                m.data().to_vec()
            } else {
                Vec::new()
            };
            (m.pages(), bytes)
        })
        .collect();
    ProviderState { globals, memories }
}

/// Restores `state` into `rt` (an instance of module `info`): globals, memory sizes, and
/// memory contents when the state has them. Fails (the artifact does not fit its recipe)
/// on any mismatch.
pub(crate) fn restore(
    rt: &stagec_runtime::Instance,
    info: &ModuleInfo,
    state: &ProviderState,
) -> Result<(), SnapshotMismatch> {
    let defined_globals = info.globals.len() as u32 - info.num_imported_globals;
    let defined_memories = info.memories.len() as u32 - info.num_imported_memories;
    if state.globals.len() != defined_globals as usize
        || state.memories.len() != defined_memories as usize
    {
        return Err(SnapshotMismatch::Provider);
    }
    for (k, value) in state.globals.iter().enumerate() {
        // SAFETY: a defined global of a live instance, not in use (nothing runs
        // during a compilation's replay).
        unsafe { (*rt.global(info.num_imported_globals + k as u32)).0.0 = *value };
    }
    for (k, (pages, bytes)) in state.memories.iter().enumerate() {
        // SAFETY: a defined memory of a live instance, not in use.
        let m = unsafe { &mut *rt.memory(info.num_imported_memories + k as u32) };
        if *pages > m.pages() && m.grow(pages - m.pages()).is_none() {
            return Err(SnapshotMismatch::CannotGrow { pages: *pages });
        }
        if *pages != m.pages() {
            return Err(SnapshotMismatch::MemorySmaller);
        }
        if !bytes.is_empty() {
            if bytes.len() != m.data().len() {
                return Err(SnapshotMismatch::Contents);
            }
            m.data_mut().copy_from_slice(bytes);
        }
    }
    Ok(())
}

fn encode_states(w: &mut Writer, states: &[ProviderState]) {
    w.len(states.len());
    for s in states {
        w.len(s.globals.len());
        for g in &s.globals {
            w.u64(*g as u64);
            w.u64((*g >> 64) as u64);
        }
        w.len(s.memories.len());
        for (pages, bytes) in &s.memories {
            w.u64(*pages);
            w.bytes(bytes);
        }
    }
}

fn decode_states(r: &mut Reader<'_>) -> Result<Vec<ProviderState>, DecodeError> {
    let n = r.len(16, "snapshot providers")?;
    let mut states = Vec::with_capacity(n);
    for _ in 0..n {
        let g = r.len(16, "snapshot globals")?;
        let mut globals = Vec::with_capacity(g);
        for _ in 0..g {
            let lo = r.u64("snapshot global")?;
            let hi = r.u64("snapshot global")?;
            globals.push(u128::from(lo) | (u128::from(hi) << 64));
        }
        let m = r.len(16, "snapshot memories")?;
        let mut memories = Vec::with_capacity(m);
        for _ in 0..m {
            let pages = r.u64("snapshot memory size")?;
            memories.push((pages, r.bytes("snapshot memory")?.to_vec()));
        }
        states.push(ProviderState { globals, memories });
    }
    Ok(states)
}

impl Snapshot {
    /// Appends the snapshot to `w`.
    pub(crate) fn encode(&self, w: &mut Writer) {
        w.len(self.steps.len());
        for step in &self.steps {
            encode_states(w, step);
        }
        encode_states(w, &self.last);
    }

    /// Reads a snapshot written by [`Snapshot::encode`].
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Snapshot, DecodeError> {
        let n = r.len(8, "snapshot steps")?;
        let mut steps = Vec::with_capacity(n);
        for _ in 0..n {
            steps.push(decode_states(r)?);
        }
        let last = decode_states(r)?;
        Ok(Snapshot { steps, last })
    }
}
