;; E1: an image kernel whose inner loop uses nine imported immutable globals.
;;
;; A 32-bit RGBA image of `width` x `height` pixels, `bpp` bytes per pixel, rows `stride`
;; bytes apart (padded), starting at byte `origin`. `run(passes)` computes, `passes`
;; times, each pixel's luminance from its channels (each `chan_mask` wide), adds it to
;; a checksum and counts it in a histogram of `bins_mask + 1` bins (luminance shifted
;; right by `bin_shift`) at byte `hist`. The image is filled by the start function.
;;
;; Bound as preimports, every global is a constant in the compiled code: loop bounds and
;; masks become immediates, `y * stride` and `x * bpp` become shifts and lea's. Bound as
;; ordinary imports, each is a load through the vmctx (the import's cell pointer, then
;; the value), hoisted out of the loops where Cranelift can, and each occupies a
;; register (or a stack slot) across the loops.
;;
;; The values the experiment binds: width 256, height 192, stride 1088, bpp 4,
;; origin 64, chan_mask 0xff, bin_shift 4, bins_mask 15, hist 0x40000.
(module
  (import "img" "width" (global $width i32))
  (import "img" "height" (global $height i32))
  (import "img" "stride" (global $stride i32))
  (import "img" "bpp" (global $bpp i32))
  (import "img" "origin" (global $origin i32))
  (import "img" "chan_mask" (global $chan_mask i32))
  (import "hist" "bin_shift" (global $bin_shift i32))
  (import "hist" "bins_mask" (global $bins_mask i32))
  (import "hist" "base" (global $hist i32))
  (memory 5)

  ;; A deterministic pattern in every pixel (xorshift32).
  (func $fill
    (local $y i32) (local $x i32) (local $s i32)
    (local.set $s (i32.const 0x2545f491))
    (loop $rows
      (local.set $x (i32.const 0))
      (loop $cols
        (local.set $s (i32.xor (local.get $s) (i32.shl (local.get $s) (i32.const 13))))
        (local.set $s (i32.xor (local.get $s) (i32.shr_u (local.get $s) (i32.const 17))))
        (local.set $s (i32.xor (local.get $s) (i32.shl (local.get $s) (i32.const 5))))
        (i32.store
          (i32.add (i32.add (global.get $origin) (i32.mul (local.get $y) (global.get $stride)))
                   (i32.mul (local.get $x) (global.get $bpp)))
          (local.get $s))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br_if $cols (i32.lt_u (local.get $x) (global.get $width))))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br_if $rows (i32.lt_u (local.get $y) (global.get $height)))))
  (start $fill)

  (func (export "run") (param $passes i32) (result i64)
    (local $pass i32) (local $y i32) (local $x i32) (local $row i32) (local $v i32)
    (local $lum i32) (local $slot i32) (local $sum i64) (local $i i32)
    ;; clear the histogram
    (local.set $i (i32.const 0))
    (loop $clear
      (i32.store (i32.add (global.get $hist) (i32.shl (local.get $i) (i32.const 2)))
                 (i32.const 0))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $clear (i32.le_u (local.get $i) (global.get $bins_mask))))
    (loop $passes
      (local.set $y (i32.const 0))
      (loop $rows
        (local.set $row (i32.add (global.get $origin)
                                 (i32.mul (local.get $y) (global.get $stride))))
        (local.set $x (i32.const 0))
        (loop $cols
          (local.set $v (i32.load (i32.add (local.get $row)
                                           (i32.mul (local.get $x) (global.get $bpp)))))
          ;; lum = (77 r + 150 g + 29 b) >> 8
          (local.set $lum
            (i32.shr_u
              (i32.add
                (i32.add
                  (i32.mul (i32.and (local.get $v) (global.get $chan_mask)) (i32.const 77))
                  (i32.mul (i32.and (i32.shr_u (local.get $v) (i32.const 8))
                                    (global.get $chan_mask))
                           (i32.const 150)))
                (i32.mul (i32.and (i32.shr_u (local.get $v) (i32.const 16))
                                  (global.get $chan_mask))
                         (i32.const 29)))
              (i32.const 8)))
          (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_u (local.get $lum))))
          (local.set $slot
            (i32.add (global.get $hist)
                     (i32.shl (i32.and (i32.shr_u (local.get $lum) (global.get $bin_shift))
                                       (global.get $bins_mask))
                              (i32.const 2))))
          (i32.store (local.get $slot) (i32.add (i32.load (local.get $slot)) (i32.const 1)))
          (local.set $x (i32.add (local.get $x) (i32.const 1)))
          (br_if $cols (i32.lt_u (local.get $x) (global.get $width))))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br_if $rows (i32.lt_u (local.get $y) (global.get $height))))
      (local.set $pass (i32.add (local.get $pass) (i32.const 1)))
      (br_if $passes (i32.lt_u (local.get $pass) (local.get $passes))))
    ;; checksum: the luminance sum mixed with every bin's count
    (local.set $i (i32.const 0))
    (loop $mix
      (local.set $sum
        (i64.add (i64.mul (local.get $sum) (i64.const 31))
                 (i64.extend_i32_u
                   (i32.load (i32.add (global.get $hist)
                                      (i32.shl (local.get $i) (i32.const 2)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $mix (i32.le_u (local.get $i) (global.get $bins_mask))))
    (local.get $sum)))
