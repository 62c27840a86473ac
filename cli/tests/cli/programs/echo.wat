;; A WASI program written by hand: prints its arguments, environment and preopened
;; directories. Everything after the program is its own (options included); options go
;; before it.
;; RUN: run % one -two --three
;; RUN: run % --env A=1 --dir . --invoke add
;; RUN: run --env GREETING=hi --env EMPTY= --env GREETING=hello %
;; RUN: run --dir . --dir .::/work %
;; RUN: run --dir missing-dir %
;; RUN: run --dir ::guest %
;; RUN: run --invoke add % 2 3
;; RUN: run --invoke add % 2
;; RUN: run --invoke exit_with % 3
;; RUN: run --invoke nope %
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $fd_prestat_dir_name (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  ;; 0: iovec, 8: written, 16: count, 20: size, 24: prestat; 64: texts;
  ;; 1024: pointers; 4096: strings; 8192: a directory name
  (memory (export "memory") 1)
  (data (i32.const 64) "\n")
  (data (i32.const 65) "arg: ")
  (data (i32.const 70) "env: ")
  (data (i32.const 75) "dir: ")
  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $line (param $label i32) (param $ptr i32) (param $len i32)
    (call $write (local.get $label) (i32.const 5))
    (call $write (local.get $ptr) (local.get $len))
    (call $write (i32.const 64) (i32.const 1)))
  (func $strlen (param $p i32) (result i32) (local $n i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $n))
  (func $print_strings (param $label i32) (local $i i32) (local $s i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (i32.load (i32.const 16))))
      (local.set $s (i32.load (i32.add (i32.const 1024) (i32.shl (local.get $i) (i32.const 2)))))
      (call $line (local.get $label) (local.get $s) (call $strlen (local.get $s)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next))))
  (func $print_dirs (local $fd i32) (local $len i32)
    (local.set $fd (i32.const 3))
    (block $done (loop $next
      (br_if $done (call $fd_prestat_get (local.get $fd) (i32.const 24)))
      (local.set $len (i32.load (i32.const 28)))
      (drop (call $fd_prestat_dir_name (local.get $fd) (i32.const 8192) (local.get $len)))
      (call $line (i32.const 75) (i32.const 8192) (local.get $len))
      (local.set $fd (i32.add (local.get $fd) (i32.const 1)))
      (br $next))))
  (func (export "_start")
    (drop (call $args_sizes_get (i32.const 16) (i32.const 20)))
    (drop (call $args_get (i32.const 1024) (i32.const 4096)))
    (call $print_strings (i32.const 65))
    (drop (call $environ_sizes_get (i32.const 16) (i32.const 20)))
    (drop (call $environ_get (i32.const 1024) (i32.const 4096)))
    (call $print_strings (i32.const 70))
    (call $print_dirs))
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  (func (export "exit_with") (param i32)
    (call $proc_exit (local.get 0))))
