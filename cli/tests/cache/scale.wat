;; f(x) = x * env.k + 5 (the 5 read from memory): the module of cli/tests/cache.rs.
(module
  (import "env" "k" (global $k i32))
  (memory 1)
  (data (i32.const 16) "\05\00\00\00")
  (func (export "f") (param i32) (result i32)
    (i32.add (i32.mul (local.get 0) (global.get $k)) (i32.load (i32.const 16)))))
