;; memory64: a 64-bit memory of fixed size (minimum = maximum) accessed at a preimported
;; address inside that size needs no bounds check; the address is the load's displacement.
;; FUNC: get
;; ARGS: --preimport env.addr=65528
(module
  (import "env" "addr" (global $addr i64))
  (memory i64 1 1)
  (func (export "get") (result i64)
    (i64.load (global.get $addr))))
;; CLIF:
;; function u0:0(i64 vmctx, i64) -> i64 system_v {
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned gv0
;;     gv2 = load.i64 notrap aligned gv1
;;     stack_limit = gv2
;;
;;                                 block0(v0: i64, v1: i64):
;; @0038                               v4 = load.i64 notrap aligned readonly can_move v0+40
;; @0038                               v5 = load.i64 little v4+0xfff8
;; @003b                               jump block1
;;
;;                                 block1:
;; @003b                               return v5
;; }
