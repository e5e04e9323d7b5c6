;; The record of a plain line rendered from its bytes, as WebAssembly: tailship's hot path.
;; line-record-bytes.ts owns the memory (below), writes the constant parts of records into
;; it, copies each line in and the record out. The bytes are exactly what the string way
;; makes (JSON.stringify's escapes; test/ship/encoders/line-record-bytes.test.ts checks it
;; on every byte value and the fuzz suite on generated lines). Why WebAssembly: a
;; JavaScript loop over a Buffer costs 1-2 ns per byte in V8, about 2 of tailship's
;; 10 CPU-s per GB; this loop takes 16 bytes at a time (SIMD) where nothing needs escaping.
;;
;; Compiled to line-record-wasm.ts by test/ship/encoders/line-record-wasm.test.ts
;; (TAILSHIP_UPDATE_WASM=1), which also checks that the two agree.
;;
;; Memory layout (bytes), written by the JavaScript side:
;;   0    class[256]  per byte: 0 copied as is, 1 two-byte escape (\" \\ \b \t \n \f \r), 5 \u00xx
;;   256  short[256]  the letter after the backslash of a two-byte escape
;;   512  hex[16]     "0123456789abcdef"
;;   1024 pieces[9]   (start i32, length i32) of the constant parts of a record, in order:
;;                    0 action head, 1 action key, 2 action end, 3 open, 4 time, 5 file,
;;                    6 id, 7 end, 8 end of a truncated record
(module
  (import "env" "memory" (memory 1))

  (func $piece (param $i i32) (param $out i32) (result i32)
    (local $len i32)
    (local.set $len (i32.load offset=1028 (i32.shl (local.get $i) (i32.const 3))))
    (memory.copy (local.get $out) (i32.load offset=1024 (i32.shl (local.get $i) (i32.const 3))) (local.get $len))
    (i32.add (local.get $out) (local.get $len)))

  ;; One byte at $out, escaped as JSON.stringify does (ECMA-262 QuoteJSONString).
  (func $byte (param $b i32) (param $out i32) (result i32)
    (local $c i32)
    (local.set $c (i32.load8_u (local.get $b)))
    (if (i32.eqz (local.get $c)) (then
      (i32.store8 (local.get $out) (local.get $b))
      (return (i32.add (local.get $out) (i32.const 1)))))
    (if (i32.eq (local.get $c) (i32.const 1)) (then
      (i32.store8 (local.get $out) (i32.const 0x5c))
      (i32.store8 offset=1 (local.get $out) (i32.load8_u offset=256 (local.get $b)))
      (return (i32.add (local.get $out) (i32.const 2)))))
    (i32.store (local.get $out) (i32.const 0x3030755c)) ;; "\u00", little-endian
    (i32.store8 offset=4 (local.get $out) (i32.load8_u offset=512 (i32.shr_u (local.get $b) (i32.const 4))))
    (i32.store8 offset=5 (local.get $out) (i32.load8_u offset=512 (i32.and (local.get $b) (i32.const 15))))
    (i32.add (local.get $out) (i32.const 6)))

  ;; Bytes [$in, $end) escaped at $out; returns the end, with bit 31 set when a byte
  ;; above 0x7f was seen (the line may then be invalid UTF-8).
  ;; 16 bytes at a time: each block is stored whole, then the output is advanced past
  ;; its bytes up to the first that needs an escape. Storing ahead is safe: each input
  ;; byte left makes at least one output byte, so the 16 stay inside the record.
  (func $escape (param $in i32) (param $end i32) (param $out i32) (result i32)
    (local $v v128) (local $seen v128) (local $bits i32) (local $k i32) (local $b i32) (local $high i32)
    (block $blocks_done
      (loop $blocks
        (br_if $blocks_done (i32.gt_u (i32.add (local.get $in) (i32.const 16)) (local.get $end)))
        (local.set $v (v128.load (local.get $in)))
        (local.set $seen (v128.or (local.get $seen) (local.get $v)))
        (v128.store (local.get $out) (local.get $v))
        (local.set $bits (i8x16.bitmask
          (v128.or (i8x16.lt_u (local.get $v) (i8x16.splat (i32.const 0x20)))
            (v128.or (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x22)))
                     (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x5c)))))))
        (if (i32.eqz (local.get $bits)) (then
          (local.set $in (i32.add (local.get $in) (i32.const 16)))
          (local.set $out (i32.add (local.get $out) (i32.const 16)))
          (br $blocks)))
        (local.set $k (i32.ctz (local.get $bits)))
        (local.set $out (call $byte
          (i32.load8_u (i32.add (local.get $in) (local.get $k)))
          (i32.add (local.get $out) (local.get $k))))
        (local.set $in (i32.add (i32.add (local.get $in) (local.get $k)) (i32.const 1)))
        (br $blocks)))
    (local.set $high (i8x16.bitmask (local.get $seen)))
    (block $done
      (loop $bytes
        (br_if $done (i32.ge_u (local.get $in) (local.get $end)))
        (local.set $b (i32.load8_u (local.get $in)))
        (local.set $high (i32.or (local.get $high) (i32.and (local.get $b) (i32.const 0x80))))
        (local.set $out (call $byte (local.get $b) (local.get $out)))
        (local.set $in (i32.add (local.get $in) (i32.const 1)))
        (br $bytes)))
    (if (result i32) (local.get $high)
      (then (i32.or (local.get $out) (i32.const 0x80000000)))
      (else (local.get $out))))

  ;; $n in hexadecimal at $out, no leading zeros; returns the end.
  (func $hex (param $n i64) (param $out i32) (result i32)
    (local $end i32) (local $m i64)
    (local.set $end (i32.add (local.get $out) (i32.const 1)))
    (local.set $m (i64.shr_u (local.get $n) (i64.const 4)))
    (block $counted
      (loop $count
        (br_if $counted (i64.eqz (local.get $m)))
        (local.set $end (i32.add (local.get $end) (i32.const 1)))
        (local.set $m (i64.shr_u (local.get $m) (i64.const 4)))
        (br $count)))
    (local.set $out (local.get $end))
    (loop $more
      (local.set $out (i32.sub (local.get $out) (i32.const 1)))
      (i32.store8 (local.get $out) (i32.load8_u offset=512 (i32.wrap_i64 (i64.and (local.get $n) (i64.const 15)))))
      (local.set $n (i64.shr_u (local.get $n) (i64.const 4)))
      (br_if $more (i64.ne (local.get $n) (i64.const 0))))
    (local.get $end))

  ;; $n in decimal at $out, no leading zeros; returns the end.
  (func $decimal (param $n i64) (param $out i32) (result i32)
    (local $end i32) (local $m i64)
    (local.set $end (i32.add (local.get $out) (i32.const 1)))
    (local.set $m (local.get $n))
    (block $counted
      (loop $count
        (br_if $counted (i64.lt_u (local.get $m) (i64.const 10)))
        (local.set $end (i32.add (local.get $end) (i32.const 1)))
        (local.set $m (i64.div_u (local.get $m) (i64.const 10)))
        (br $count)))
    (local.set $out (local.get $end))
    (loop $more
      (local.set $out (i32.sub (local.get $out) (i32.const 1)))
      (local.set $m (i64.div_u (local.get $n) (i64.const 10)))
      (i32.store8 (local.get $out) (i32.add (i32.const 0x30) (i32.wrap_i64 (i64.sub (local.get $n) (i64.mul (local.get $m) (i64.const 10))))))
      (local.set $n (local.get $m))
      (br_if $more (i64.ne (local.get $n) (i64.const 0))))
    (local.get $end))

  ;; The record of the line [$in, $end) at byte $offset of its file, written at $out.
  ;; $flags: 1 truncated, 2 with a bulk action. Returns the record's end, bit 31 set as
  ;; $escape sets it.
  (func (export "render") (param $in i32) (param $end i32) (param $out i32) (param $offset f64) (param $flags i32) (result i32)
    (local $n i64) (local $high i32)
    (local.set $n (i64.trunc_f64_u (local.get $offset)))
    (if (i32.and (local.get $flags) (i32.const 2)) (then
      (local.set $out (call $piece (i32.const 0) (local.get $out)))
      (local.set $out (call $piece (i32.const 1) (local.get $out)))
      (local.set $out (call $hex (local.get $n) (local.get $out)))
      (local.set $out (call $piece (i32.const 2) (local.get $out)))))
    (local.set $out (call $piece (i32.const 3) (local.get $out)))
    (local.set $out (call $piece (i32.const 4) (local.get $out)))
    (local.set $out (call $escape (local.get $in) (local.get $end) (local.get $out)))
    (local.set $high (i32.and (local.get $out) (i32.const 0x80000000)))
    (local.set $out (i32.and (local.get $out) (i32.const 0x7fffffff)))
    (local.set $out (call $piece (i32.const 5) (local.get $out)))
    (local.set $out (call $decimal (local.get $n) (local.get $out)))
    (local.set $out (call $piece (i32.const 6) (local.get $out)))
    (local.set $out (call $hex (local.get $n) (local.get $out)))
    (local.set $out (call $piece
      (select (i32.const 8) (i32.const 7) (i32.and (local.get $flags) (i32.const 1)))
      (local.get $out)))
    (i32.or (local.get $out) (local.get $high)))
)
