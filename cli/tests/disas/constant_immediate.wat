;; A preimported immutable global is a constant: `n * 3 + 1` folds to one immediate,
;; and no load from the vmctx is left.
;; FUNC: f
;; ARGS: --preimport env.n=7
(module
  (import "env" "n" (global $n i32))
  (func (export "f") (param i32) (result i32)
    (i32.add (local.get 0) (i32.add (i32.mul (global.get $n) (i32.const 3)) (i32.const 1)))))
;; CLIF:
;; function u0:0(i64 vmctx, i64, i32) -> i32 system_v {
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned gv0
;;     gv2 = load.i64 notrap aligned gv1
;;     stack_limit = gv2
;;
;;                                 block0(v0: i64, v1: i64, v2: i32):
;; @0037                               jump block1
;;
;;                                 block1:
;;                                     v16 = iconst.i32 22
;; @0036                               v9 = iadd.i32 v2, v16  ; v16 = 22
;; @0037                               return v9
;; }
