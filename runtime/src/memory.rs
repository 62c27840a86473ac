//! Linear memories: a memory reserves its largest possible length plus a guard region up
//! front, so its base never moves; a 32-bit memory's loads and stores need no bounds check,
//! a 64-bit memory's one comparison (the layout: [`stagec_environ::memory`]).

use crate::vm::VMMemoryDefinition;
use stagec_environ::memory::{MAX_PAGES_32, MAX_PAGES_64, reservation_bytes};
use stagec_frontend::{IndexType, MemoryType};
use std::fmt;

/// Bytes in a wasm page.
pub const PAGE_SIZE: usize = stagec_environ::memory::PAGE_SIZE as usize;
/// Maximum number of pages of a 32-bit memory.
pub const MAX_PAGES: u64 = MAX_PAGES_32;

/// The most pages a memory of index type `index` can have here.
pub fn max_pages(index: IndexType) -> u64 {
    match index {
        IndexType::I32 => MAX_PAGES_32,
        IndexType::I64 => MAX_PAGES_64,
    }
}

/// A memory could not be created.
#[derive(Debug)]
pub enum MemoryError {
    /// The type's minimum is more than a memory of its index type can hold here.
    MinimumTooLarge {
        /// The minimum, in pages.
        pages: u64,
        /// The most pages such a memory can have.
        max_pages: u64,
    },
    /// The type's minimum is more than the host's limit allows.
    MinimumOverLimit {
        /// The minimum, in pages.
        pages: u64,
        /// The host's limit, in bytes.
        limit_bytes: u64,
    },
    /// A memory image holds more than the memory's initial size.
    ImageTooLarge {
        /// The image's length in bytes.
        image_len: usize,
        /// The memory's initial size in bytes.
        initial_len: usize,
    },
    /// The address space for the memory could not be reserved.
    Reserve(std::io::Error),
    /// The memory image could not be mapped.
    MapImage(std::io::Error),
    /// Pages could not be made accessible.
    Commit(std::io::Error),
}

impl fmt::Display for MemoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MemoryError::MinimumTooLarge { pages, max_pages } => write!(
                f,
                "memory minimum of {pages} pages exceeds the limit of {max_pages} pages ({} GiB)",
                (max_pages * PAGE_SIZE as u64) >> 30
            ),
            MemoryError::MinimumOverLimit { pages, limit_bytes } => write!(
                f,
                "memory minimum of {pages} page{} ({} bytes) exceeds the memory limit of \
                 {limit_bytes} bytes",
                if *pages == 1 { "" } else { "s" },
                pages * PAGE_SIZE as u64
            ),
            MemoryError::ImageTooLarge { .. } => {
                f.write_str("memory image larger than the memory's initial size")
            }
            MemoryError::Reserve(e) => {
                write!(f, "cannot reserve address space for a linear memory: {e}")
            }
            MemoryError::MapImage(e) => write!(f, "cannot map the memory image: {e}"),
            MemoryError::Commit(e) => write!(f, "cannot commit linear memory: {e}"),
        }
    }
}

impl std::error::Error for MemoryError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MemoryError::Reserve(e) | MemoryError::MapImage(e) | MemoryError::Commit(e) => Some(e),
            MemoryError::MinimumTooLarge { .. }
            | MemoryError::MinimumOverLimit { .. }
            | MemoryError::ImageTooLarge { .. } => None,
        }
    }
}

/// A linear memory.
pub struct Memory {
    base: *mut u8,
    /// Bytes of address space reserved at `base`.
    reservation: usize,
    /// The lower of the type's maximum, the index type's and the host's limit, in pages.
    max_pages: u64,
    /// The host's limit in bytes (`None`: only the type's maximum).
    limit_bytes: Option<u64>,
    ty: MemoryType,
    def: Box<VMMemoryDefinition>,
    /// The id of the image mapped at the start (0: none).
    image: u64,
}

// SAFETY: the memory exclusively owns its mapping; access is synchronised by the owner
// (a Store), like any other owned buffer.
unsafe impl Send for Memory {}
// SAFETY: shared references only read the definition.
unsafe impl Sync for Memory {}

impl fmt::Debug for Memory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Memory")
            .field("pages", &self.pages())
            .field("max_pages", &self.max_pages)
            .field("limit_bytes", &self.limit_bytes)
            .finish()
    }
}

impl Memory {
    /// Creates a memory of type `ty`, zero-filled, `ty.limits.min` pages accessible.
    pub fn new(ty: MemoryType) -> Result<Memory, MemoryError> {
        Self::with_limit(ty, None)
    }

    /// Creates a memory of type `ty` that the host never lets grow beyond `limit_bytes`
    /// (rounded down to whole pages): `memory.grow` past it fails (returns -1) as if the
    /// type's maximum were lower, and a minimum above it is an error naming the limit.
    pub fn with_limit(ty: MemoryType, limit_bytes: Option<u64>) -> Result<Memory, MemoryError> {
        let initial = initial_bytes(ty);
        let (mut memory, ready) = Self::empty(ty, limit_bytes, 0, initial)?;
        if !ready {
            memory.make_accessible(initial)?;
        }
        Ok(memory)
    }

    /// A memory of type `ty` with a reservation: one from the pool already laid out for
    /// `image` (0: none) and `initial` accessible bytes (then `true`), or one with nothing
    /// accessible yet (`false`).
    fn empty(
        ty: MemoryType,
        limit_bytes: Option<u64>,
        image: u64,
        initial: usize,
    ) -> Result<(Memory, bool), MemoryError> {
        let kind_max = max_pages(ty.index);
        if ty.limits.min > kind_max {
            return Err(MemoryError::MinimumTooLarge {
                pages: ty.limits.min,
                max_pages: kind_max,
            });
        }
        let limit_pages = limit_bytes.map_or(kind_max, |b| b / PAGE_SIZE as u64);
        if let Some(limit) = limit_bytes
            && ty.limits.min > limit_pages
        {
            return Err(MemoryError::MinimumOverLimit {
                pages: ty.limits.min,
                limit_bytes: limit,
            });
        }
        let max_pages = ty
            .limits
            .max
            .unwrap_or(kind_max)
            .min(limit_pages)
            .min(kind_max);
        let reservation = reservation_bytes(max_pages) as usize;
        use crate::memory_image::Reservation;
        let taken = crate::memory_image::take_reservation(reservation, image, initial);
        let (base, ready) = match taken {
            Some(Reservation::Ready(base)) => (base, true),
            Some(Reservation::Clean(base)) => (base, false),
            None => (reserve(reservation)?, false),
        };
        let memory = Memory {
            image: if ready { image } else { 0 },
            base,
            reservation,
            max_pages,
            limit_bytes,
            ty,
            def: Box::new(VMMemoryDefinition {
                base,
                current_length: if ready { initial } else { 0 },
            }),
        };
        Ok((memory, ready))
    }

    /// [`Memory::with_limit`], with the initial contents mapped copy-on-write from
    /// `image` (which must fit the memory's initial size, see
    /// [`MemoryImage::for_module`](crate::MemoryImage::for_module)).
    pub fn with_image(
        ty: MemoryType,
        limit_bytes: Option<u64>,
        image: &crate::MemoryImage,
    ) -> Result<Memory, MemoryError> {
        let initial = initial_bytes(ty);
        if image.len() > initial {
            return Err(MemoryError::ImageTooLarge {
                image_len: image.len(),
                initial_len: initial,
            });
        }
        let (mut memory, ready) = Self::empty(ty, limit_bytes, image.id(), initial)?;
        if ready {
            return Ok(memory);
        }
        // SAFETY: the image's range lies inside this memory's reservation, which it owns
        // and nothing references yet.
        let mapped = unsafe { image.map_at(memory.base) };
        // Even when mapping failed (which may leave a hole): dropping the memory resets
        // the whole range before the reservation is reused.
        memory.def.current_length = image.len();
        mapped.map_err(MemoryError::MapImage)?;
        memory.image = image.id();
        memory.make_accessible(initial)?;
        Ok(memory)
    }

    fn make_accessible(&mut self, new_len: usize) -> Result<(), MemoryError> {
        let old_len = self.def.current_length;
        if new_len > old_len {
            // SAFETY: [old_len, new_len) lies inside our reservation.
            let rc = unsafe {
                libc::mprotect(
                    self.base.add(old_len).cast(),
                    new_len - old_len,
                    libc::PROT_READ | libc::PROT_WRITE,
                )
            };
            if rc != 0 {
                return Err(MemoryError::Commit(std::io::Error::last_os_error()));
            }
        }
        self.def.current_length = new_len;
        Ok(())
    }

    /// The type the memory was created with.
    pub fn ty(&self) -> MemoryType {
        self.ty
    }

    /// Current size in pages.
    pub fn pages(&self) -> u64 {
        (self.def.current_length / PAGE_SIZE) as u64
    }

    /// Current limits (minimum = current size), as import matching needs them.
    pub fn current_limits(&self) -> stagec_frontend::Limits {
        stagec_frontend::Limits {
            min: self.pages(),
            max: self.ty.limits.max,
        }
    }

    /// The host's limit in bytes, if any.
    pub fn limit_bytes(&self) -> Option<u64> {
        self.limit_bytes
    }

    /// Grows by `delta` pages; returns the old size in pages, or `None` if the memory
    /// would exceed its maximum or the host's limit.
    pub fn grow(&mut self, delta: u64) -> Option<u64> {
        let old = self.pages();
        let new = old.checked_add(delta)?;
        if new > self.max_pages {
            return None;
        }
        self.make_accessible(new as usize * PAGE_SIZE).ok()?;
        Some(old)
    }

    /// Base address (stable).
    pub fn base(&self) -> *mut u8 {
        self.base
    }

    /// The definition compiled code reads.
    pub fn definition(&mut self) -> *mut VMMemoryDefinition {
        &mut *self.def
    }

    /// The accessible bytes.
    pub fn data(&self) -> &[u8] {
        // SAFETY: [base, base+current_length) is mapped read/write.
        unsafe { std::slice::from_raw_parts(self.base, self.def.current_length) }
    }

    /// The accessible bytes, mutably.
    pub fn data_mut(&mut self) -> &mut [u8] {
        // SAFETY: [base, base+current_length) is mapped read/write and owned by us.
        unsafe { std::slice::from_raw_parts_mut(self.base, self.def.current_length) }
    }
}

/// The initial length of a memory of type `ty` (saturated: a minimum too large to
/// represent is refused by `Memory::empty`).
fn initial_bytes(ty: MemoryType) -> usize {
    usize::try_from(ty.limits.min)
        .unwrap_or(usize::MAX)
        .saturating_mul(PAGE_SIZE)
}

/// A new reservation of `size` bytes of inaccessible address space.
fn reserve(size: usize) -> Result<*mut u8, MemoryError> {
    // SAFETY: an anonymous PROT_NONE reservation; no existing memory is affected.
    let base = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            size,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if base == libc::MAP_FAILED {
        return Err(MemoryError::Reserve(std::io::Error::last_os_error()));
    }
    Ok(base.cast())
}

impl Drop for Memory {
    fn drop(&mut self) {
        // SAFETY: the reservation made or taken in `with_limit`, no longer used: the
        // memory is being dropped.
        unsafe {
            crate::memory_image::return_reservation(
                self.base,
                self.reservation,
                self.image,
                self.def.current_length,
                self.def.current_length == self.ty.limits.min as usize * PAGE_SIZE,
            );
        }
    }
}
