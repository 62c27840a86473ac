//! Trap kinds: one `#[repr(u8)]` enum whose `Display` is the spec's message.

use std::fmt;

/// Why wasm execution stopped abnormally.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TrapKind {
    /// The wasm stack limit was reached.
    StackOverflow = 1,
    /// A load, store or bulk memory operation was out of bounds.
    MemoryOutOfBounds = 2,
    /// A table access (`table.get/set/fill/copy/init`) was out of bounds.
    TableOutOfBounds = 3,
    /// `call_indirect` with an index past the end of the table.
    UndefinedElement = 4,
    /// `call_indirect` through a null table entry.
    UninitializedElement = 5,
    /// `call_indirect` whose callee has another signature.
    BadSignature = 6,
    /// Signed division overflow or float-to-int overflow.
    IntegerOverflow = 7,
    /// Integer division or remainder by zero.
    IntegerDivisionByZero = 8,
    /// Float-to-int conversion of NaN.
    BadConversionToInteger = 9,
    /// `unreachable` was executed.
    Unreachable = 10,
    /// A builtin or host function reported an error stored in the thread's trap state.
    Pending = 11,
    /// The store was interrupted (an interrupt handle, or its deadline passed) while code
    /// compiled as interruptible was running.
    Interrupted = 12,
    /// The store's fuel ran out while code compiled to consume fuel was running.
    OutOfFuel = 13,
}

impl TrapKind {
    /// Every kind.
    pub const ALL: &'static [TrapKind] = &[
        TrapKind::StackOverflow,
        TrapKind::MemoryOutOfBounds,
        TrapKind::TableOutOfBounds,
        TrapKind::UndefinedElement,
        TrapKind::UninitializedElement,
        TrapKind::BadSignature,
        TrapKind::IntegerOverflow,
        TrapKind::IntegerDivisionByZero,
        TrapKind::BadConversionToInteger,
        TrapKind::Unreachable,
        TrapKind::Pending,
        TrapKind::Interrupted,
        TrapKind::OutOfFuel,
    ];

    /// The kind with code `code`, if any.
    pub fn from_u8(code: u8) -> Option<TrapKind> {
        TrapKind::ALL.iter().copied().find(|k| *k as u8 == code)
    }

    /// The spec's message for this trap.
    pub fn message(self) -> &'static str {
        match self {
            TrapKind::StackOverflow => "call stack exhausted",
            TrapKind::MemoryOutOfBounds => "out of bounds memory access",
            TrapKind::TableOutOfBounds => "out of bounds table access",
            TrapKind::UndefinedElement => "undefined element",
            TrapKind::UninitializedElement => "uninitialized element",
            TrapKind::BadSignature => "indirect call type mismatch",
            TrapKind::IntegerOverflow => "integer overflow",
            TrapKind::IntegerDivisionByZero => "integer divide by zero",
            TrapKind::BadConversionToInteger => "invalid conversion to integer",
            TrapKind::Unreachable => "unreachable",
            TrapKind::Pending => "host error",
            TrapKind::Interrupted => "interrupt",
            TrapKind::OutOfFuel => "all fuel consumed",
        }
    }
}

impl fmt::Display for TrapKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}
