;; A swizzle whose index vector is a preimported constant is a `shuffle` with constant
;; lanes; an index of 16 or more selects from a zero vector (swizzle gives 0 for it).
;; FUNC: permute
;; ARGS: --preimport env.order=i8x16:12,13,14,15,8,9,10,11,4,5,6,7,0,1,2,200
(module
  (import "env" "order" (global $order v128))
  (func (export "permute") (param v128) (result v128)
    (i8x16.swizzle (local.get 0) (global.get $order))))
;; CLIF:
;; function u0:0(i64 vmctx, i64, i8x16) -> i8x16 system_v {
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned gv0
;;     gv2 = load.i64 notrap aligned gv1
;;     const0 = 0xc8020100070605040b0a09080f0e0d0c
;;     const1 = 0x00000000000000000000000000000000
;;     stack_limit = gv2
;;
;;                                 block0(v0: i64, v1: i64, v2: i8x16):
;; @003c                               jump block1
;;
;;                                 block1:
;; @003a                               v5 = vconst.i8x16 const1
;; @003a                               v6 = shuffle v2, v5, 0x10020100070605040b0a09080f0e0d0c  ; v5 = const1
;; @003c                               return v6
;; }
