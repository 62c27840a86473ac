;; A program that sleeps (WASI `poll_oneoff` on the monotonic clock) 300 ms outside its
;; bench region and twice 20 ms inside it, between `bench.start` and `bench.end`:
;; `stagec bench` times the regions only (checked in tests/cli_bench.rs), `run` treats
;; the hooks as no-ops.
;; RUN: run %
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "bench" "start" (func $start))
  (import "bench" "end" (func $end))
  ;; 0: a clock subscription (48 bytes); 64: its event (32 bytes); 96: nevents;
  ;; 112: iovec, 120: written; 128: text
  (memory (export "memory") 1)
  (data (i32.const 128) "slept\n")
  (func $sleep (param $ms i64)
    ;; tag 0 (clock), clock id 1 (monotonic), relative timeout in ns
    (i32.store8 (i32.const 8) (i32.const 0))
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.mul (local.get $ms) (i64.const 1000000)))
    (i64.store (i32.const 32) (i64.const 0))
    (i32.store16 (i32.const 40) (i32.const 0))
    (if (call $poll_oneoff (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 96))
      (then unreachable)))
  (func (export "_start")
    (call $sleep (i64.const 300))
    (call $start)
    (call $sleep (i64.const 20))
    (call $end)
    (call $start)
    (call $sleep (i64.const 20))
    (call $end)
    (i32.store (i32.const 112) (i32.const 128))
    (i32.store (i32.const 116) (i32.const 6))
    (drop (call $fd_write (i32.const 1) (i32.const 112) (i32.const 1) (i32.const 120)))))
