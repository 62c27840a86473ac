;; `stagec run` provides no imports.
;; RUN: run % --invoke f
(module
  (import "env" "log" (func $log (param i32)))
  (func (export "f") (call $log (i32.const 1)))
)
