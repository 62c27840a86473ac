;; Provider used by ../transitive.wat: applies its own preimported function twice.
(module
  (import "lib" "add_seed" (func $a (param i32) (result i32)))
  (func (export "twice") (param i32) (result i32) (call $a (call $a (local.get 0)))))
