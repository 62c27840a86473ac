//! stagec codegen
