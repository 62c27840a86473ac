//! Copy-on-write memory images and the pool of memory reservations.
//!
//! Each defined memory of a module whose active data segments all land at offsets known
//! at compile time (constants, or extended constant expressions over preimported
//! globals) inside its initial size gets a *memory image*: the initial contents of that
//! memory in a memfd, built once. Instantiation maps the image privately over the start
//! of the memory instead of copying the segments: one `mmap`, and pages are only read
//! (shared) or copied (on first write) when touched. Memories without an image (imported,
//! or with a segment at an offset known only at instantiation) get their segments copied
//! as usual.
//!
//! Reservations (8 GiB of address space each, more for a 64-bit memory that may grow past
//! 4 GiB) are kept in a process-wide pool when their memory is dropped, still laid out
//! for the image they had: their pages are discarded (`MADV_DONTNEED`: written pages
//! revert to the image, others to zero), and the next memory of the same module and size
//! takes the reservation as it is — no mapping changes at all. A reservation laid out
//! otherwise is first made inaccessible (one `mmap` with `MAP_FIXED`).

use crate::memory::PAGE_SIZE;
use stagec_frontend::{DataMode, ElemMode, ModuleInfo};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The initial contents of one memory of a module, in a memfd.
#[derive(Debug)]
pub struct MemoryImage {
    /// Unique (never 0): which image a pooled reservation has mapped.
    id: u64,
    fd: OwnedFd,
    /// Bytes of the image, a multiple of the host page size, at most the memory's
    /// initial size.
    len: usize,
}

/// Host page size assumed for image lengths (the image is mapped at page granularity).
const HOST_PAGE: usize = 4096;

impl MemoryImage {
    /// The image of every memory of `module` (by memory index, imported memories
    /// included, which never have one); see [`MemoryImage::for_memory`].
    pub fn for_module(
        module: &ModuleInfo,
        known_global: &dyn Fn(u32) -> Option<u64>,
    ) -> Vec<Option<MemoryImage>> {
        (0..module.memories.len() as u32)
            .map(|memory| Self::for_memory(module, memory, known_global))
            .collect()
    }

    /// The image of `module`'s memory `memory`, when instantiating from it is equivalent
    /// to applying the data segments that target it: the memory is defined (not
    /// imported); every active data segment targeting it has an offset known now
    /// (`known_global` gives the values of the globals known at compile time: constant
    /// preimports) and lies inside its initial size (so applying it cannot trap); and no
    /// active element segment writes an imported table (whose entries would outlive a
    /// failed instantiation and could observe the memory before the data was applied).
    /// `None` otherwise, and for a memory without data (a fresh memory is already zero).
    pub fn for_memory(
        module: &ModuleInfo,
        memory: u32,
        known_global: &dyn Fn(u32) -> Option<u64>,
    ) -> Option<MemoryImage> {
        module.defined_memory_index(memory)?;
        let ty = module.memories[memory as usize];
        let initial = usize::try_from(ty.limits.min)
            .ok()?
            .checked_mul(PAGE_SIZE)?;
        let writes_imported_table = module.elems.iter().any(|e| {
            matches!(e.mode, ElemMode::Active { table, .. } if table < module.num_imported_tables)
        });
        if writes_imported_table {
            return None;
        }
        let mut end = 0usize;
        let mut segments = Vec::new();
        for seg in &module.datas {
            let DataMode::Active { memory: m, offset } = &seg.mode else {
                continue;
            };
            if *m != memory {
                continue;
            }
            let mut at = offset.eval_int(known_global)?;
            if !ty.index.is_64() {
                at = u64::from(at as u32);
            }
            let start = usize::try_from(at).ok()?;
            let stop = start.checked_add(seg.data.len())?;
            if stop > initial {
                return None;
            }
            end = end.max(stop);
            segments.push((start, &seg.data[..]));
        }
        if end == 0 {
            return None;
        }
        let len = end.div_ceil(HOST_PAGE) * HOST_PAGE;
        let mut contents = vec![0u8; len];
        for (start, data) in segments {
            contents[start..start + data.len()].copy_from_slice(data);
        }
        // SAFETY: memfd_create with a valid NUL-terminated name; the result is checked.
        let raw = unsafe { libc::memfd_create(c"stagec-memory-image".as_ptr(), libc::MFD_CLOEXEC) };
        if raw < 0 {
            return None;
        }
        // SAFETY: `raw` is a new descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let mut file = std::fs::File::from(fd);
        std::io::Write::write_all(&mut file, &contents).ok()?;
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        Some(MemoryImage {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            fd: file.into(),
            len,
        })
    }

    /// The image's unique id.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Bytes the image covers.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the image is empty (never: images have data).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Maps the image privately (copy-on-write) at `base`, replacing what is there.
    ///
    /// # Safety
    /// `[base, base + len)` must lie inside a reservation owned by the caller.
    pub(crate) unsafe fn map_at(&self, base: *mut u8) -> std::io::Result<()> {
        // SAFETY: the caller owns the range; MAP_FIXED replaces its current pages.
        let p = unsafe {
            libc::mmap(
                base.cast(),
                self.len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_FIXED,
                self.fd.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
}

/// A free reservation of `size` bytes and what its first `accessible` bytes hold:
/// read-write pages that are zero, or the image `image` (mapped copy-on-write, no private
/// copies left) followed by zero pages. `accessible == 0`: nothing accessible.
#[derive(Clone, Copy, Debug)]
struct Slot {
    base: usize,
    size: usize,
    image: u64,
    accessible: usize,
}

/// Free reservations kept for reuse.
static POOL: Mutex<Vec<Slot>> = Mutex::new(Vec::new());

/// At most this many free reservations are kept (8 GiB of address space each, or more).
const POOL_CAPACITY: usize = 64;

/// How a pooled reservation is handed out.
pub(crate) enum Reservation {
    /// Already laid out as asked: its first `accessible` bytes are read-write and hold
    /// the image asked for (or zeros), the rest is inaccessible.
    Ready(*mut u8),
    /// Nothing accessible.
    Clean(*mut u8),
}

/// A free reservation of `size` bytes: one laid out for (`image`, `accessible`) if there
/// is one (`image` 0: no image), else any of that size, cleaned.
pub(crate) fn take_reservation(size: usize, image: u64, accessible: usize) -> Option<Reservation> {
    let slot = {
        let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = pool
            .iter()
            .rposition(|s| s.size == size && s.image == image && s.accessible == accessible)
        {
            return Some(Reservation::Ready(pool.swap_remove(i).base as *mut u8));
        }
        let i = pool.iter().rposition(|s| s.size == size)?;
        pool.swap_remove(i)
    };
    let base = slot.base as *mut u8;
    // SAFETY: a pooled reservation belongs to nobody; `accessible` bytes of it are mapped.
    if slot.accessible > 0 && unsafe { !make_inaccessible(base, slot.accessible) } {
        // SAFETY: as above; the reservation is given up.
        unsafe { libc::munmap(base.cast(), size) };
        return None;
    }
    Some(Reservation::Clean(base))
}

/// Replaces `[base, base + len)` with fresh inaccessible zero pages (dropping any image
/// mapping); false if the kernel refused.
///
/// # Safety
/// The range must lie inside a reservation owned by the caller.
unsafe fn make_inaccessible(base: *mut u8, len: usize) -> bool {
    // SAFETY: the caller owns the range; MAP_FIXED replaces it.
    let p = unsafe {
        libc::mmap(
            base.cast(),
            len,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    p != libc::MAP_FAILED
}

/// Returns a reservation of `size` bytes whose first `accessible` bytes were in use.
/// When `same_layout` (the memory never grew), its pages are only discarded
/// (`MADV_DONTNEED`: written image pages revert to the image, other pages to zero) and
/// it is pooled as laid out for `image`; otherwise it is made inaccessible first. It is
/// unmapped when the pool is full or the kernel refuses a reset.
///
/// # Safety
/// `base` must be a whole reservation that nothing uses any more.
pub(crate) unsafe fn return_reservation(
    base: *mut u8,
    size: usize,
    image: u64,
    accessible: usize,
    same_layout: bool,
) {
    let slot = if accessible == 0 {
        Some(Slot {
            base: base as usize,
            size,
            image: 0,
            accessible: 0,
        })
    } else if same_layout
        // SAFETY: the range is mapped and owned by the caller.
        && unsafe { libc::madvise(base.cast(), accessible, libc::MADV_DONTNEED) } == 0
    {
        Some(Slot {
            base: base as usize,
            size,
            image,
            accessible,
        })
    // SAFETY: as above.
    } else if unsafe { make_inaccessible(base, accessible) } {
        Some(Slot {
            base: base as usize,
            size,
            image: 0,
            accessible: 0,
        })
    } else {
        None
    };
    if let Some(slot) = slot {
        let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < POOL_CAPACITY {
            pool.push(slot);
            return;
        }
    }
    // SAFETY: the caller gives up the whole reservation.
    unsafe {
        libc::munmap(base.cast(), size);
    }
}
