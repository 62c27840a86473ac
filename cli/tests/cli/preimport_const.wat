;; A constant bound at compile time (--preimport), at run time (--import), or with
;; specialization turned off gives the same results.
;; RUN: run % --preimport env.n=7 --invoke mul3
;; RUN: run % --import env.n=7 --invoke mul3
;; RUN: run % --preimport env.n=0x10 --specialize off --invoke mul3
;; RUN: run % --preimport env.n=-2 --invoke pick
;; RUN: run % --import env.n=-2 --invoke pick
;; RUN: run % --invoke mul3
;; RUN: run % --preimport env.n=1.5 --invoke mul3
;; RUN: run % --preimport env.nope=1 --preimport env.n=1 --invoke mul3
;; RUN: run % --preimport n=7 --invoke mul3
(module
  (import "env" "n" (global $n i32))
  (func (export "mul3") (result i32) (i32.mul (global.get $n) (i32.const 3)))
  (func (export "pick") (result i32)
    (if (result i32) (i32.lt_s (global.get $n) (i32.const 0))
      (then (i32.const 100)) (else (i32.const 200)))))
