;; An extension stage for ../extend.wat: refers to the instance's stage `main`.
(module
  (import "main" "ops" (table 4 funcref))
  (import "main" "mem" (memory 1))
  (func $times7 (param i32) (result i32)
    (i32.store (i32.const 16) (local.get 0))
    (i32.mul (local.get 0) (i32.const 7)))
  (elem (table 0) (i32.const 1) func $times7)
  (func $init (i32.store (i32.const 16) (i32.const 99)))
  (start $init))
