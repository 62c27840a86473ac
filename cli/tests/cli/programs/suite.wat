;; Programs of the WASI suite (wasi/programs), run from this directory. primes imports
;; `env.LIMIT`: preimported, the limit is a constant of its code while the WASI functions
;; stay host calls; unbound, it is an error naming the import. A C program's trap shows
;; its wasm backtrace with the name section's names.
;; RUN: run --preimport env.LIMIT=100 ../../../../wasi/programs/c/primes.wasm
;; RUN: run --import env.LIMIT=30 ../../../../wasi/programs/c/primes.wasm
;; RUN: run --preimport env.LIMIT=1 ../../../../wasi/programs/c/primes.wasm
;; RUN: run ../../../../wasi/programs/c/primes.wasm
;; RUN: bench --preimport env.LIMIT=1000 --check-only ../../../../wasi/programs/c/primes.wasm
;; RUN: run ../../../../wasi/programs/c/trap.wasm div
;; RUN: run ../../../../wasi/programs/c/exit.wasm exit 9
;; RUN: run --env SUITE=yes ../../../../wasi/programs/c/args_env.wasm first --second
(module)
