;; A text-format error gives line and column.
;; RUN: run %
(module
  (func (export "f") (result i32)
    (i32.const 1 2 3 oops)))
