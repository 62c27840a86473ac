;; A WASI program with a parameter: it prints `env.N` stars, timing the loop with the
;; sightglass hooks. `--preimport env.N=...` specializes it (the WASI functions stay host
;; calls), `--import` binds it at run time; `bench` checks both builds print the same.
;; RUN: run --preimport env.N=3 %
;; RUN: run --import env.N=5 %
;; RUN: run --preimport env.N=3 --specialize off %
;; RUN: run %
;; RUN: bench --preimport env.N=4 --check-only %
;; RUN: bench --preimport env.N=4 --check-only --json %
;; RUN: bench --check-only %
;; RUN: bench --preimport env.N=4 --runs 0 %
;; RUN: bench --preimport env.N=4 --invoke stars --check-only % 2
(module
  (import "env" "N" (global $n i32))
  (import "bench" "start" (func $start))
  (import "bench" "end" (func $end))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 32) "*\n")
  (func $put (param $ptr i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (i32.const 1))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $stars (export "stars") (param $count i32) (result i32) (local $i i32)
    (block $done (loop $next
      (br_if $done (i32.ge_s (local.get $i) (local.get $count)))
      (call $put (i32.const 32))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (call $put (i32.const 33))
    (local.get $count))
  (func (export "_start")
    (call $start)
    (drop (call $stars (global.get $n)))
    (call $end)))
