//! The address-space layout of linear memories, which codegen's bounds checks rely on and
//! the runtime's reservations provide.
//!
//! ```text
//!  base                          base + accessible          base + reservation
//!  |  read-write (current length) | inaccessible ...  | guard (GUARD_BYTES) |
//!  +------------------------------+-------------------+---------------------+
//!                                 <- up to the maximum ->
//! ```
//!
//! Every memory reserves its largest possible length plus a guard region of
//! [`GUARD_BYTES`] up front, so its base never moves and everything between the current
//! length and the end of the reservation faults:
//! - a 32-bit memory reserves [`RESERVATION_32`] = 4 GiB + 4 GiB: any `u32` address plus
//!   any `u32` offset lands inside it, so its accesses need no bounds check at all;
//! - a 64-bit memory (memory64) reserves at least as much, and more when it may grow past
//!   4 GiB (up to [`MAX_PAGES_64`]). A 64-bit address can lie anywhere, so an access is
//!   checked explicitly — but only `address > length`: when that holds, the access's
//!   `offset + size <= GUARD_BYTES` bytes beyond `address` stay inside the reservation
//!   and fault. An address provably below 2^32 (any reservation is at least 8 GiB) or an
//!   access provably inside the memory's known minimum length needs no check.

/// Bytes in a wasm page.
pub const PAGE_SIZE: u64 = 65536;

/// Maximum number of pages of a 32-bit memory (4 GiB).
pub const MAX_PAGES_32: u64 = 65536;

/// Maximum number of pages a 64-bit memory can have here (64 GiB): `memory.grow` beyond
/// fails, a larger minimum cannot be instantiated.
pub const MAX_PAGES_64: u64 = 1 << 20;

/// Inaccessible bytes after a memory's largest possible length.
pub const GUARD_BYTES: u64 = 4 << 30;

/// The reservation of a 32-bit memory, and the smallest of any memory: 4 GiB addressable
/// plus the guard.
pub const RESERVATION_32: u64 = MAX_PAGES_32 * PAGE_SIZE + GUARD_BYTES;

/// The reservation of a memory that may grow to `max_pages` (at most [`MAX_PAGES_64`]):
/// [`RESERVATION_32`] for up to 4 GiB, else [`MAX_PAGES_64`] pages plus the guard (two
/// sizes only, so that reservations are reused across memories).
pub const fn reservation_bytes(max_pages: u64) -> u64 {
    if max_pages <= MAX_PAGES_32 {
        RESERVATION_32
    } else {
        MAX_PAGES_64 * PAGE_SIZE + GUARD_BYTES
    }
}
