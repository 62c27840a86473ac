;; A preimported field offset: with a constant base the whole address folds into the
;; load's displacement; with a byte-sized index the offset still folds (the add cannot
;; wrap), while a full 32-bit pointer keeps its wrapping add (see codegen consts.rs).
;; FUNC: f
;; ARGS: --preimport layout.off_y=12
(module
  (import "layout" "off_y" (global $off_y i32))
  (memory 1)
  (func (export "f") (param $p i32) (result i32)
    (i32.add
      (i32.load (i32.add (global.get $off_y) (i32.const 64)))
      (i32.load (i32.add (i32.load8_u (local.get $p)) (global.get $off_y))))))
;; CLIF:
;; function u0:0(i64 vmctx, i64, i32) -> i32 system_v {
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned gv0
;;     gv2 = load.i64 notrap aligned gv1
;;     stack_limit = gv2
;;
;;                                 block0(v0: i64, v1: i64, v2: i32):
;; @003e                               v7 = load.i64 notrap aligned readonly can_move v0+40
;; @003e                               v8 = load.i32 little v7+76
;; @0043                               v10 = uextend.i64 v2
;; @0043                               v11 = iadd v7, v10
;; @0043                               v12 = uload8.i32 little v11
;; @0049                               v16 = uextend.i64 v12
;; @0049                               v17 = iadd v7, v16
;; @0049                               v18 = load.i32 little v17+12
;; @004d                               jump block1
;;
;;                                 block1:
;; @004c                               v19 = iadd.i32 v8, v18
;; @004d                               return v19
;; }
