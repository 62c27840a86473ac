;; Transitive specialization: `twice` comes from a provider whose own import `add_seed`
;; comes from a third module specialized on `env.seed`; everything inlines into one body.
;; FUNC: f
;; ARGS: --preimport env.twice=@providers/twice.wat#twice --preimport lib.add_seed=@providers/hash.wat#add_seed --preimport env.seed=1000
(module
  (import "env" "twice" (func $twice (param i32) (result i32)))
  (func (export "f") (param i32) (result i32) (call $twice (local.get 0))))
;; CLIF:
;; function u0:0(i64 vmctx, i64, i32) -> i32 system_v {
;;     gv0 = vmctx
;;     gv1 = load.i64 notrap aligned gv0
;;     gv2 = load.i64 notrap aligned gv1
;;     sig0 = (i64 vmctx, i64, i32) -> i32 system_v
;;     sig1 = () system_v
;;     sig2 = () system_v
;;     sig3 = (i64 vmctx, i64, i32) -> i32 system_v
;;     sig4 = () system_v
;;     sig5 = () system_v
;;     sig6 = () system_v
;;     fn0 = colocated u0:3 sig0
;;     fn1 = u1:2 sig1
;;     fn2 = u1:2 sig2
;;     fn3 = colocated u0:2 sig3
;;     fn4 = u1:0 sig4
;;     fn5 = u1:0 sig5
;;     fn6 = u1:0 sig6
;;     stack_limit = gv2
;;
;;                                 block0(v0: i64, v1: i64, v2: i32):
;; @0031                               jump block2
;;
;;                                 block2:
;; @0031                               jump block5
;;
;;                                 block5:
;; @0031                               jump block6
;;
;;                                 block6:
;; @0031                               jump block7
;;
;;                                 block7:
;; @0031                               jump block8
;;
;;                                 block8:
;; @0031                               jump block9
;;
;;                                 block9:
;; @0031                               jump block10
;;
;;                                 block10:
;; @0031                               jump block3
;;
;;                                 block3:
;; @0031                               jump block4
;;
;;                                 block4:
;; @0033                               jump block1
;;
;;                                 block1:
;;                                     v24 = iconst.i32 2000
;;                                     v29 = iadd.i32 v2, v24  ; v24 = 2000
;; @0033                               return v29
;; }
