;; A module that does not validate.
;; RUN: run %
(module
  (func (export "f") (result i32)
    (i64.const 1))
)
