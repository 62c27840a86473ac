//! The operators stagec does not translate, listed by proposal, and the route of every
//! operator: one of these `unsupported` arms, or the family method of its name.
//!
//! [`route_operator!`] receives one operator in the syntax of wasmparser's
//! `for_each_visit_operator!` (`@proposal Name { args } => visit_name`) and defines its
//! `VisitOperator` method for [`Dispatch`](super::dispatch::Dispatch). The arms below are
//! tried in order: an operator of a listed proposal becomes an [`Unsupported::Operator`]
//! error naming the operator and its proposal; every other operator calls the
//! [`Translator`](super::Translator) method of the same name (`visit_i32_add`, ...), which
//! some family file (`numeric`, `memory`, `control`, `calls`, `tables`, `variables`,
//! `simd`) defines. A missing family method is a compile error, and so is one defined twice; a
//! family method whose operator is still routed here is dead code.
//!
//! To implement a proposal, delete its arm here and define its `visit_*` methods in a
//! family file. memory64 and multi-memory add no operators of their own (they change the
//! immediates and operand types of the memory family's operators).
//!
//! [`Unsupported::Operator`]: crate::Unsupported::Operator

/// Defines the `VisitOperator` method of one operator (see the module documentation).
macro_rules! route_operator {
    // ---- tail calls: `return_call`, `return_call_indirect` --------------------------
    (@tail_call $($operator:tt)*) => {
        $crate::translate::unsupported::unsupported!(tail_call $($operator)*);
    };

    // ---- typed function references: `call_ref`, `br_on_null`, ... ------------------
    (@function_references $($operator:tt)*) => {
        $crate::translate::unsupported::unsupported!(function_references $($operator)*);
    };

    // ---- exception handling: `try_table`, `throw`, `throw_ref` ----------------------
    (@exceptions $($operator:tt)*) => {
        $crate::translate::unsupported::unsupported!(exceptions $($operator)*);
    };

    // ---- legacy exception handling: `try`, `catch`, `rethrow`, `delegate` -----------
    (@legacy_exceptions $($operator:tt)*) => {
        $crate::translate::unsupported::unsupported!(legacy_exceptions $($operator)*);
    };

    // ---- GC and custom descriptors ---------------------------------------------------
    (@gc $($operator:tt)*) => {
        $crate::translate::unsupported::unsupported!(gc $($operator)*);
    };
    (@custom_descriptors $($operator:tt)*) => {
        $crate::translate::unsupported::unsupported!(custom_descriptors $($operator)*);
    };

    // ---- threads: atomics, shared-everything threads, `pause` -----------------------
    (@threads $($operator:tt)*) => {
        $crate::translate::unsupported::unsupported!(threads $($operator)*);
    };
    (@shared_everything_threads $($operator:tt)*) => {
        $crate::translate::unsupported::unsupported!(shared_everything_threads $($operator)*);
    };
    (@acquire_release_atomics $($operator:tt)*) => {
        $crate::translate::unsupported::unsupported!(acquire_release_atomics $($operator)*);
    };

    // ---- memory control: `memory.discard` -------------------------------------------
    (@memory_control $($operator:tt)*) => {
        $crate::translate::unsupported::unsupported!(memory_control $($operator)*);
    };

    // ---- wide arithmetic: `i64.add128`, `i64.mul_wide_s`, ... ------------------------
    (@wide_arithmetic $($operator:tt)*) => {
        $crate::translate::unsupported::unsupported!(wide_arithmetic $($operator)*);
    };

    // ---- stack switching: `cont.new`, `resume`, `suspend`, ... ----------------------
    (@stack_switching $($operator:tt)*) => {
        $crate::translate::unsupported::unsupported!(stack_switching $($operator)*);
    };

    // ---- `select` with several result types: parsed by wasmparser, never valid ------
    (@reference_types TypedSelectMulti $($operator:tt)*) => {
        $crate::translate::unsupported::unsupported!(
            reference_types TypedSelectMulti $($operator)*
        );
    };

    // ---- every other operator: the family method of the same name -------------------
    (@$proposal:ident $($operator:tt)*) => {
        $crate::translate::dispatch::to_family!($($operator)*);
    };
}
pub(super) use route_operator;

/// Defines a `VisitOperator` method that returns the `Unsupported::Operator` error.
macro_rules! unsupported {
    ($proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident) => {
        fn $visit(&mut self $($(, _: $argty)*)?) -> Self::Output {
            self.unsupported(stringify!($op), stringify!($proposal))
        }
    };
}
pub(super) use unsupported;
