;; `if`, `br_if` and `select` on a preimported condition: only the live arm is
;; translated, and no conditional branch remains.
;; FUNC: f
;; ARGS: --preimport env.mode=2
(module
  (import "env" "mode" (global $mode i32))
  (func $slow (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
  (func (export "f") (param i32) (result i32)
    (block $out (result i32)
      (drop (br_if $out (i32.const -1) (i32.eq (global.get $mode) (i32.const 9))))
      (if (result i32) (i32.eq (global.get $mode) (i32.const 1))
        (then (call $slow (local.get 0)))
        (else
          (select (i32.add (local.get 0) (i32.const 10)) (i32.const 0)
                  (i32.gt_u (global.get $mode) (i32.const 1))))))))
;; CLIF:
;; function u0:1(i64 vmctx, i64, i32) -> i32 system_v {
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned gv0
;;     gv2 = load.i64 notrap aligned gv1
;;     stack_limit = gv2
;;
;;                                 block0(v0: i64, v1: i64, v2: i32):
;; @005d                               jump block3
;;
;;                                 block3:
;; @005e                               jump block2
;;
;;                                 block2:
;; @005f                               jump block1
;;
;;                                 block1:
;; @0052                               v15 = iconst.i32 10
;; @0054                               v16 = iadd.i32 v2, v15  ; v15 = 10
;; @005f                               return v16
;; }
