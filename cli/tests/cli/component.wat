;; A component: Lib instantiated once, App three times from it. App's calls of Lib's
;; `step` and `div` are specialized as known code and Lib's `scale` as a constant; the
;; mutable `counter` stays an ordinary import. `--specialize off` gives the same results.
;; RUN: run % --invoke a-run 4
;; RUN: run % --specialize off --invoke a-run 4
;; RUN: run % --invoke is-big 7
;; RUN: run % --invoke div 0
;; RUN: run % --invoke a-run x
;; RUN: run % --invoke a-run
;; RUN: run % --invoke nope
;; RUN: run % --preimport lib.scale=1 --invoke a-run 1
;; RUN: inspect %
;; RUN: explain %
;; RUN: explain % --specialize off
;; RUN: explain % --func nope
;; RUN: explain % --module 7 --func run
;; RUN: explain % --module 1
(component
  (core module $Lib
    (global $n (mut i32) (i32.const 0))
    (global (export "scale") i32 (i32.const 3))
    (global (export "counter") (mut i32) (i32.const 0))
    (func (export "step") (param i32) (result i32)
      (global.set $n (i32.add (global.get $n) (i32.const 1)))
      (i32.add (local.get 0) (global.get $n)))
    (func (export "div") (param i32) (result i32)
      (i32.div_u (i32.const 1000) (local.get 0))))
  (core instance $lib (instantiate $Lib))
  (core module $App
    (import "lib" "step" (func $step (param i32) (result i32)))
    (import "lib" "div" (func $div (param i32) (result i32)))
    (import "lib" "scale" (global $scale i32))
    (import "lib" "counter" (global $counter (mut i32)))
    (func (export "run") (param i32) (result i32)
      (i32.mul (call $step (local.get 0)) (global.get $scale)))
    (func (export "big") (param i32) (result i32)
      (i32.gt_u (i32.mul (local.get 0) (global.get $scale)) (i32.const 20)))
    (func (export "div") (param i32) (result i32) (call $div (local.get 0))))
  (core instance $a (instantiate $App (with "lib" (instance $lib))))
  (core instance $b (instantiate $App (with "lib" (instance $lib))))
  (core instance $c (instantiate $App (with "lib" (instance $lib))))
  (func (export "a-run") (param "x" u32) (result u32) (canon lift (core func $a "run")))
  (func (export "b-run") (param "x" u32) (result u32) (canon lift (core func $b "run")))
  (func (export "is-big") (param "x" u32) (result bool) (canon lift (core func $b "big")))
  (func (export "div") (param "x" u32) (result u32) (canon lift (core func $c "div")))
)
