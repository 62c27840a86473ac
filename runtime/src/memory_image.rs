//! Copy-on-write memory images and the pool of memory reservations.
//!
//! A module whose data segments all land at constant offsets inside its (only, defined)
//! memory's initial size gets a *memory image*: the initial contents of that memory in a
//! memfd, built once. Instantiation maps the image privately over the start of the
//! memory instead of copying the segments: one `mmap`, and pages are only read (shared)
//! or copied (on first write) when touched.
//!
//! Reservations (8 GiB of address space each) are kept in a process-wide pool when their
//! memory is dropped, still laid out for the image they had: their pages are discarded
//! (`MADV_DONTNEED`: written pages revert to the image, others to zero), and the next
//! memory of the same module and size takes the reservation as it is — no mapping
//! changes at all. A reservation laid out otherwise is first made inaccessible (one
//! `mmap` with `MAP_FIXED`).

use crate::memory::PAGE_SIZE;
use stagec_frontend::{ConstExpr, DataMode, ElemMode, ModuleInfo};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The initial contents of a module's memory 0, in a memfd.
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
    /// The image of `module`'s memory 0, when instantiating from it is equivalent to
    /// applying the data segments: the memory is defined (not imported) and is the only
    /// memory; every active data segment targets it at a constant offset and lies inside
    /// its initial size (so applying it cannot trap); and no active element segment
    /// writes an imported table (whose entries would outlive a failed instantiation and
    /// could observe the memory before the data was applied). `None` otherwise, and for a
    /// memory without data (a fresh memory is already zero).
    pub fn for_module(module: &ModuleInfo) -> Option<MemoryImage> {
        if module.num_imported_memories != 0 || module.memories.len() != 1 {
            return None;
        }
        let initial = usize::try_from(module.memories[0].limits.min)
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
            match seg.mode {
                DataMode::Passive => {}
                DataMode::Active {
                    memory: 0,
                    offset: ConstExpr::I32(at),
                } => {
                    let start = at as u32 as usize;
                    let stop = start.checked_add(seg.data.len())?;
                    if stop > initial {
                        return None;
                    }
                    end = end.max(stop);
                    segments.push((start, &seg.data[..]));
                }
                DataMode::Active { .. } => return None,
            }
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

/// A free reservation and what its first `accessible` bytes hold: read-write pages that
/// are zero, or the image `image` (mapped copy-on-write, no private copies left) followed
/// by zero pages. `accessible == 0`: nothing accessible.
#[derive(Clone, Copy, Debug)]
struct Slot {
    base: usize,
    image: u64,
    accessible: usize,
}

/// Free reservations kept for reuse.
static POOL: Mutex<Vec<Slot>> = Mutex::new(Vec::new());

/// At most this many free reservations are kept (8 GiB of address space each).
const POOL_CAPACITY: usize = 64;

/// How a pooled reservation is handed out.
pub(crate) enum Reservation {
    /// Already laid out as asked: its first `accessible` bytes are read-write and hold
    /// the image asked for (or zeros), the rest is inaccessible.
    Ready(*mut u8),
    /// Nothing accessible.
    Clean(*mut u8),
}

/// A free reservation: one laid out for (`image`, `accessible`) if there is one (`image`
/// 0: no image), else any, cleaned.
pub(crate) fn take_reservation(image: u64, accessible: usize) -> Option<Reservation> {
    let slot = {
        let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = pool
            .iter()
            .rposition(|s| s.image == image && s.accessible == accessible)
        {
            return Some(Reservation::Ready(pool.swap_remove(i).base as *mut u8));
        }
        pool.pop()?
    };
    let base = slot.base as *mut u8;
    // SAFETY: a pooled reservation belongs to nobody; `accessible` bytes of it are mapped.
    if slot.accessible > 0 && unsafe { !make_inaccessible(base, slot.accessible) } {
        // SAFETY: as above; the reservation is given up.
        unsafe { libc::munmap(base.cast(), crate::memory::RESERVATION) };
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
            image: 0,
            accessible: 0,
        })
    } else if same_layout
        // SAFETY: the range is mapped and owned by the caller.
        && unsafe { libc::madvise(base.cast(), accessible, libc::MADV_DONTNEED) } == 0
    {
        Some(Slot {
            base: base as usize,
            image,
            accessible,
        })
    // SAFETY: as above.
    } else if unsafe { make_inaccessible(base, accessible) } {
        Some(Slot {
            base: base as usize,
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
