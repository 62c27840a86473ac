;; Errors are one line on stderr, naming the file, with a non-zero exit status.
;; RUN: run % --invoke nope
;; RUN: run % --invoke div 1
;; RUN: run % --invoke div 1 2 3
;; RUN: run % --invoke div 1 x
;; RUN: run % --invoke div 1 0
;; RUN: run % --invoke div -2147483648 -1
;; RUN: run % --invoke load 65536
;; RUN: run % --invoke boom
;; RUN: run % --invoke recurse
;; RUN: run % --invoke ref null
;; RUN: run % 5
(module
  (memory 1)
  (func (export "div") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i32)
    (i32.load (local.get 0)))
  (func (export "boom") (unreachable))
  (func $recurse (export "recurse") (call $recurse))
  (func (export "ref") (param funcref))
)
