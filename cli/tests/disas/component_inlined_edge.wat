;; A wiring edge of a component specialized: App's call of Lib's `step` is known code,
;; inlined (Lib's counter is reached through the callee vmctx of the import slot), and
;; Lib's immutable global `scale` is the constant 3 folded into the multiply.
;; FUNC: run
(component
  (core module $Lib
    (global $n (mut i32) (i32.const 0))
    (global (export "scale") i32 (i32.const 3))
    (func (export "step") (param i32) (result i32)
      (global.set $n (i32.add (global.get $n) (i32.const 1)))
      (i32.add (local.get 0) (global.get $n))))
  (core instance $lib (instantiate $Lib))
  (core module $App
    (import "lib" "step" (func $step (param i32) (result i32)))
    (import "lib" "scale" (global $scale i32))
    (func (export "run") (param i32) (result i32)
      (i32.mul (call $step (local.get 0)) (global.get $scale))))
  (core instance $a (instantiate $App (with "lib" (instance $lib))))
  (core instance $b (instantiate $App (with "lib" (instance $lib))))
  (func (export "run") (param "x" u32) (result u32) (canon lift (core func $a "run")))
)
;; CLIF:
;; function u0:0(i64 vmctx, i64, i32) -> i32 system_v {
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned gv0
;;     gv2 = load.i64 notrap aligned gv1
;;     gv3 = vmctx
;;     gv4 = load.i64 notrap aligned gv3
;;     gv5 = load.i64 notrap aligned gv4
;;     sig0 = (i64 vmctx, i64, i32) -> i32 system_v
;;     fn0 = colocated u0:1 sig0
;;     stack_limit = gv2
;;
;;                                 block0(v0: i64, v1: i64, v2: i32):
;; @003f                               jump block2
;;
;;                                 block2:
;; @003f                               v4 = load.i64 notrap aligned readonly can_move v0+48
;; @0038                               v10 = load.i32 notrap aligned v4+48
;; @003a                               v11 = iconst.i32 1
;; @003c                               v12 = iadd v10, v11  ; v11 = 1
;; @003d                               store notrap aligned v12, v4+48
;; @0044                               jump block3
;;
;;                                 block3:
;; @0044                               jump block4
;;
;;                                 block4:
;; @0044                               jump block1
;;
;;                                 block1:
;;                                     v15 = iadd.i32 v10, v11  ; v11 = 1
;;                                     v16 = iadd.i32 v2, v15
;; @0041                               v6 = iconst.i32 3
;; @0043                               v7 = imul v16, v6  ; v6 = 3
;; @0044                               return v7
;; }
