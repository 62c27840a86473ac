;; Precompiled artifacts: `compile -o` bakes the preimports into the artifact, `run` loads
;; it without compiling (`--no-compile`); the remaining imports still come from `--import`.
;; A preimport given to an artifact, or a compilation denied, is a clear error.
;; RUN: compile % --preimport env.k=10 -o %t.stagec
;; RUN: run %t.stagec --no-compile --import env.base=5 --invoke f 4
;; RUN: run % --no-compile --preimport env.k=10 --import env.base=5 --invoke f 4
;; RUN: compile % --preimport env.k=10 --import env.base=5 -o %t.stagec
(module
  (import "env" "k" (global $k i32))
  (import "env" "base" (global $base i32))
  (func (export "f") (param i32) (result i32)
    (i32.add (i32.mul (local.get 0) (global.get $k)) (global.get $base))))
