;; Provider used by ../inlined_function.wat and ../transitive.wat.
(module
  (import "env" "seed" (global $seed i32))
  (func (export "hash") (param i32) (result i32)
    (i32.mul (i32.xor (local.get 0) (global.get $seed)) (i32.const 0x9e3779b1)))
  (func (export "add_seed") (param i32) (result i32)
    (i32.add (local.get 0) (global.get $seed))))
