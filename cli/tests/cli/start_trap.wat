;; A trap in the start function fails instantiation.
;; RUN: run %
(module
  (memory 1)
  (func $start (drop (i32.load (i32.const 70000))))
  (start $start)
)
