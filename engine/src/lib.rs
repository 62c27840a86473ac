//! stagec
