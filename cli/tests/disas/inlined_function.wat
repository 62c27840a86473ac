;; A preimported function from another module is compiled into this artifact and
;; inlined: no call is left, and the constant argument folds through the callee.
;; FUNC: f
;; ARGS: --preimport env.hash=@providers/hash.wat#hash --preimport env.seed=5
(module
  (import "env" "hash" (func $hash (param i32) (result i32)))
  (func (export "f") (param i32) (result i32)
    (i32.add (call $hash (local.get 0)) (call $hash (i32.const 1)))))
;; CLIF:
;; function u0:0(i64 vmctx, i64, i32) -> i32 system_v {
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned gv0
;;     gv2 = load.i64 notrap aligned gv1
;;     sig0 = (i64 vmctx, i64, i32) -> i32 system_v
;;     sig1 = () system_v
;;     sig2 = () system_v
;;     sig3 = () system_v
;;     fn0 = colocated u0:1 sig0
;;     fn1 = u1:0 sig1
;;     fn2 = u1:0 sig2
;;     fn3 = u1:0 sig3
;;     stack_limit = gv2
;;
;;                                 block0(v0: i64, v1: i64, v2: i32):
;; @0030                               jump block2
;;
;;                                 block2:
;; @0030                               jump block3
;;
;;                                 block3:
;; @0030                               jump block4
;;
;;                                 block4:
;; @0034                               jump block5
;;
;;                                 block5:
;; @0034                               jump block6
;;
;;                                 block6:
;; @0034                               jump block7
;;
;;                                 block7:
;; @0037                               jump block1
;;
;;                                 block1:
;; @0030                               v13 = iconst.i32 5
;; @0030                               v14 = bxor.i32 v2, v13  ; v13 = 5
;; @0030                               v15 = iconst.i32 -1640531535
;; @0030                               v16 = imul v14, v15  ; v15 = -1640531535
;;                                     v30 = iconst.i32 0x78dd_e6c4
;; @0036                               v9 = iadd v16, v30  ; v30 = 0x78dd_e6c4
;; @0037                               return v9
;; }
