;; `--extend FILE` appends an extension stage to the live instance before the call: here
;; it fills slot 1 of the instance's table with a function sharing its memory.
;; RUN: run % --invoke apply 1 6
;; RUN: run % --extend providers/times7.wat --invoke apply 1 6
;; RUN: run % --extend providers/times7.wat --invoke last
;; RUN: run % --extend providers/absent.wat --invoke apply 1 6
(module
  (type $op (func (param i32) (result i32)))
  (table (export "ops") 4 funcref)
  (memory (export "mem") 1)
  (func (export "apply") (param $slot i32) (param $x i32) (result i32)
    (call_indirect (type $op) (local.get $x) (local.get $slot)))
  (func (export "last") (result i32) (i32.load (i32.const 16))))
