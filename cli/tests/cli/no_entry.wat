;; A module without `_start` or `main`: only instantiated (its start function runs).
;; RUN: run %
(module
  (func (export "main") (param i32) (result i32) (local.get 0))
)
