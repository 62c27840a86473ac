;; `br_table` on a preimported index becomes a plain branch to the selected target.
;; FUNC: dispatch
;; ARGS: --preimport env.op=2
(module
  (import "env" "op" (global $op i32))
  (func (export "dispatch") (param i32 i32) (result i32)
    (block $add (block $sub (block $mul (block $default
      (br_table $add $sub $mul $default (global.get $op)))
      (return (i32.const 0)))
      (return (i32.mul (local.get 0) (local.get 1))))
      (return (i32.sub (local.get 0) (local.get 1))))
    (i32.add (local.get 0) (local.get 1))))
;; CLIF:
;; function u0:0(i64 vmctx, i64, i32, i32) -> i32 system_v {
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned gv0
;;     gv2 = load.i64 notrap aligned gv1
;;     stack_limit = gv2
;;
;;                                 block0(v0: i64, v1: i64, v2: i32, v3: i32):
;; @003f                               jump block4
;;
;;                                 block4:
;; @004e                               v6 = imul.i32 v2, v3
;; @004f                               return v6
;; }
