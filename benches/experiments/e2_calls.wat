;; E2: a loop calling a small imported function, `fn.mix`, once per iteration.
;;
;; `run(n)` calls `mix(i, state)` for i = 0..n-1, feeding each result into the next call
;; and into a checksum. The experiment binds `fn.mix` to one of the exports of
;; e2_provider.wat (`tiny` or `medium`) three ways: preimported and inlined (default
;; inline threshold), preimported but not inlined (threshold 0: a direct call into the
;; same artifact), and as an ordinary runtime import (an indirect call through the
;; import slot in the vmctx, into another instance).
(module
  (import "fn" "mix" (func $mix (param i32 i32) (result i32)))
  (func (export "run") (param $n i32) (result i64)
    (local $i i32) (local $state i32) (local $sum i64)
    (local.set $state (i32.const 0x12345678))
    (loop $calls
      (local.set $state (call $mix (local.get $i) (local.get $state)))
      (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_u (local.get $state))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $calls (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $sum)))
