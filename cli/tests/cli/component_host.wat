;; A component with a host import: the command line defines no host functions.
;; RUN: run % --invoke twice 2
;; RUN: inspect %
(component
  (import "double" (func $double (param "x" s32) (result s32)))
  (core func $d (canon lower (func $double)))
  (core instance $host (export "double" (func $d)))
  (core module $M
    (import "host" "double" (func $double (param i32) (result i32)))
    (func (export "twice") (param i32) (result i32) (call $double (local.get 0))))
  (core instance $m (instantiate $M (with "host" (instance $host))))
  (func (export "twice") (param "x" s32) (result s32) (canon lift (core func $m "twice")))
)
