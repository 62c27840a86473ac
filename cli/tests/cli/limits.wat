;; Limits and capabilities of `stagec run`: each stops the run with a one-line error.
;; RUN: run % --timeout 200ms --invoke spin
;; RUN: run % --timeout 2s --invoke count 1000
;; RUN: run % --timeout soon --invoke count 1
;; RUN: run % --fuel 100000 --invoke spin
;; RUN: run % --fuel 100000 --invoke count 1000
;; RUN: run % --max-memory 128K --invoke grow 1
;; RUN: run % --max-memory 128K --invoke grow 2
;; RUN: run % --max-memory 32K --invoke grow 0
;; RUN: run % --max-memory 1T --invoke grow 0
;; RUN: run % --max-stack 64K --invoke rec 1000000
;; RUN: run % --max-stack 64K --invoke rec 100
;; RUN: run % --no-compile --invoke count 1
(module
  (memory 1)
  (func (export "spin") (loop $l (br $l)))
  (func (export "count") (param i32) (result i32) (local i32)
    (loop $l
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
    (local.get 1))
  (func $rec (export "rec") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $rec (i32.sub (local.get 0) (i32.const 1)))))))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))
