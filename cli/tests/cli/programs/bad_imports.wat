;; A WASI import with the wrong signature (`fd_write` takes four i32 and returns one) is a
;; one-line error naming the import and both types; bad_imports_unknown.wat imports a name
;; preview 1 does not have.
;; RUN: run %
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32) (result i32)))
  (func (export "_start")
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0)))))
