;; Without --invoke, `_start` (or else `main`) is called if it takes no parameters.
;; RUN: run %
(module
  (global $g (mut i32) (i32.const 0))
  (func $init (global.set $g (i32.const 40)))
  (start $init)
  (func (export "main") (result i32) (i32.const -1))
  (func (export "_start") (result i32)
    (i32.add (global.get $g) (i32.const 2)))
)
