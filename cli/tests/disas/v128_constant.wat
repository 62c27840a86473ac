;; A preimported `v128` global is a constant vector (`vconst`, in the constant pool): the
;; addition takes it as an operand, and a lane of it is a scalar constant.
;; FUNC: offset
;; ARGS: --preimport env.bias=i32x4:1,2,3,4
(module
  (import "env" "bias" (global $bias v128))
  (func (export "offset") (param v128) (result v128 i32)
    (i32x4.add (local.get 0) (global.get $bias))
    (i32x4.extract_lane 2 (global.get $bias))))
;; CLIF:
;; function u0:0(i64 vmctx, i64, i8x16) -> i8x16, i32 system_v {
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned gv0
;;     gv2 = load.i64 notrap aligned gv1
;;     const0 = 0x00000004000000030000000200000001
;;     stack_limit = gv2
;;
;;                                 block0(v0: i64, v1: i64, v2: i8x16):
;; @0041                               jump block1
;;
;;                                 block1:
;; @0039                               v7 = bitcast.i32x4 little v2
;; @0039                               v6 = vconst.i32x4 const0
;; @0039                               v8 = iadd v7, v6  ; v6 = const0
;; @0039                               v9 = bitcast.i8x16 little v8
;; @003e                               v12 = iconst.i32 3
;; @0041                               return v9, v12  ; v12 = 3
;; }
