;; A provider of a hash function, used by ../preimport.wat. Its own import env.n is bound
;; by the same --preimport flag as the consumer's.
(module
  (import "env" "n" (global $n i32))
  (func (export "hash") (param i32) (result i32)
    (i32.mul (i32.add (local.get 0) (global.get $n)) (i32.const 31))))
