;; `stagec bench`: the specialized build and the runtime-import build must agree before
;; anything is timed. `--check-only` prints no timings, so its output is stable; the timed
;; table and JSON are checked for their structure in tests/cli_bench.rs.
;; RUN: bench % --invoke sum --preimport env.n=1000 --preimport env.hash=@providers/hash.wat#hash --check-only
;; RUN: bench % --invoke sum --preimport env.n=1000 --preimport env.hash=@providers/hash.wat#hash --check-only --json
;; RUN: bench % --invoke scaled --preimport env.n=1000 --preimport env.hash=@providers/hash.wat#hash --check-only -5
;; RUN: bench % --invoke scaled --preimport env.hash=@providers/hash.wat#hash --import env.n=3 --check-only 4
;; RUN: bench % --invoke sum --preimport env.n=1000 --check-only
;; RUN: bench % --invoke missing --preimport env.n=1000 --preimport env.hash=@providers/hash.wat#hash --check-only
;; RUN: bench % --invoke scaled --preimport env.n=1000 --preimport env.hash=@providers/hash.wat#hash --check-only
;; RUN: bench % --invoke sum --preimport env.n=1000 --preimport env.hash=@providers/hash.wat#hash --runs 0
(module
  (import "env" "n" (global $n i32))
  (import "env" "hash" (func $hash (param i32) (result i32)))
  ;; The sum of hash(i) for i < n (hash is the provider's (i + n) * 31).
  (func (export "sum") (result i64) (local $i i32) (local $acc i64)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (global.get $n)))
        (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (call $hash (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $acc))
  (func (export "scaled") (param $x i32) (result i32 f64)
    (call $hash (local.get $x))
    (f64.div (f64.convert_i32_s (global.get $n)) (f64.const 8))))
