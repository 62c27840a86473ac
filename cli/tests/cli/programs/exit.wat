;; `proc_exit(7)` two calls deep: the process exits with status 7 after what was written.
;; A program without WASI imports but with the bench hooks is a program too: `run`
;; accepts the hooks as functions that do nothing.
;; RUN: run %
;; RUN: run % ignored arguments
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "bench" "start" (func $start))
  (import "bench" "end" (func $end))
  (memory (export "memory") 1)
  (data (i32.const 16) "exiting with 7\n")
  (func $leave (call $proc_exit (i32.const 7)) (unreachable))
  (func (export "_start")
    (call $start)
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 15))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $end)
    (call $leave)))
