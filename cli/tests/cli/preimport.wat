;; Function preimports from a provider file: specialized and runtime-linked give the same
;; result; bad provider bindings name the import.
;; RUN: run % --preimport env.n=7 --preimport env.hash=@providers/hash.wat#hash --invoke hashed 3
;; RUN: run % --import env.n=7 --import env.hash=@providers/hash.wat#hash --invoke hashed 3
;; RUN: run % --preimport env.n=7 --preimport env.hash=@providers/hash.wat#hash --specialize off --invoke hashed 3
;; RUN: run % --preimport env.n=7 --invoke hashed 3
;; RUN: run % --preimport env.n=7 --preimport env.hash=@providers/hash.wat#missing --invoke hashed 3
;; RUN: run % --preimport env.n=7 --preimport env.hash=@providers/absent.wat#hash --invoke hashed 3
(module
  (import "env" "n" (global $n i32))
  (import "env" "hash" (func $hash (param i32) (result i32)))
  (func (export "hashed") (param i32) (result i32)
    (i32.add (call $hash (local.get 0)) (global.get $n))))
