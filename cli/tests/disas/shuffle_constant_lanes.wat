;; `i8x16.shuffle` has constant lanes: one `shuffle` with an immediate mask, from which
;; the backend picks the instruction for the pattern.
;; FUNC: reverse_words
(module
  (func (export "reverse_words") (param v128) (result v128)
    (i8x16.shuffle 12 13 14 15 8 9 10 11 4 5 6 7 0 1 2 3 (local.get 0) (local.get 0))))
;; CLIF:
;; function u0:0(i64 vmctx, i64, i8x16) -> i8x16 system_v {
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned gv0
;;     gv2 = load.i64 notrap aligned gv1
;;     stack_limit = gv2
;;
;;                                 block0(v0: i64, v1: i64, v2: i8x16):
;; @0042                               jump block1
;;
;;                                 block1:
;; @0030                               v4 = shuffle v2, v2, 0x03020100070605040b0a09080f0e0d0c
;; @0042                               return v4
;; }
