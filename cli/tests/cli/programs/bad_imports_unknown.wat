;; An import from `wasi_snapshot_preview1` of a name preview 1 does not have: a one-line
;; error naming it.
;; RUN: run %
(module
  (import "wasi_snapshot_preview1" "fd_frobnicate" (func (param i32) (result i32)))
  (func (export "_start")))
