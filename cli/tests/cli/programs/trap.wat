;; A WASI program that traps three calls deep: the message and the wasm backtrace (each
;; frame's operator offset and function name) go to stderr, and the status is 134, as
;; with wasmtime. With an argument, it passes a pointer out of bounds to `fd_write`,
;; which traps as WASI requires; the frames are those of its callers. What was written
;; before the trap is out.
;; RUN: run %
;; RUN: run % bad-pointer
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "before the trap\n")
  (func $inner (param $argc i32)
    (if (i32.gt_u (local.get $argc) (i32.const 1))
      (then (drop (call $fd_write (i32.const 1) (i32.const 70000) (i32.const 1) (i32.const 8)))))
    (unreachable))
  (func $middle (param $argc i32)
    (call $inner (local.get $argc))
    (nop))
  (func $outer (param $argc i32)
    (call $middle (local.get $argc))
    (nop))
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 16))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (call $args_sizes_get (i32.const 8) (i32.const 12)))
    (call $outer (i32.load (i32.const 8)))))
