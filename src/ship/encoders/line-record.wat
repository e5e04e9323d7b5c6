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
;;   896  result      what renderRun did (see there)
;;   1020 i32         the pieces' total length
;;   1024 pieces[11]  (start i32, length i32) of the constant parts of a record, in order:
;;                    0 action head, 1 action key, 2 action end, 3 open, 4 time, 5 file,
;;                    6 id, 7 end, 8 end of a truncated record, 9 the lead of a batch's
;;                    first record, 10 the lead of the others
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

  ;; The record of the line [$in, $end) at byte $n of its file, written at $out. $flags:
  ;; 1 truncated, 2 with a bulk action. Returns the record's end, bit 31 set as $escape
  ;; sets it.
  (func $record (param $in i32) (param $end i32) (param $out i32) (param $n i64) (param $flags i32) (result i32)
    (local $high i32)
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

  ;; One line's record: the line [$in, $end) at byte $offset of its file, written at $out.
  (func (export "render") (param $in i32) (param $end i32) (param $out i32) (param $offset f64) (param $flags i32) (result i32)
    (call $record (local.get $in) (local.get $end) (local.get $out) (i64.trunc_f64_u (local.get $offset)) (local.get $flags)))

  ;; Where the first \n at or after $p is; there must be one. Reads 16 bytes at a time, so
  ;; up to 15 past it: the caller leaves room after its lines.
  (func $newline (param $p i32) (result i32)
    (local $bits i32)
    (block $found
      (loop $blocks
        (local.set $bits (i8x16.bitmask (i8x16.eq (v128.load (local.get $p)) (i8x16.splat (i32.const 0x0a)))))
        (br_if $found (local.get $bits))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $blocks)))
    (i32.add (local.get $p) (i32.ctz (local.get $bits))))

  ;; A run of lines [$in, $inEnd), each ending with \n, the first at byte $offset of its
  ;; file, as records into the open batch: each record after its frame's lead (piece 9
  ;; before a batch's first record, 10 before the others), staged from $out, its [start,
  ;; end) as i32 pairs from $spans, positions counted from $spanBase (where the staged
  ;; bytes go in the batch). A line is cut to $max bytes (after a \r before its \n is
  ;; dropped) and marked truncated, as tail/line-splitter.ts does.
  ;; The batch holds $count records of $bytes bytes (leads not counted). A record joins it
  ;; when the batch is empty, or when it stays within $maxBytes and the staged bytes within
  ;; $room; the batch is full at $maxEvents records or $maxBytes bytes (batch/batch.ts).
  ;; $flags: 2 with a bulk action, 4 the first line's bytes above 0x7f are valid UTF-8.
  ;; Returns why it stopped: 0 every line taken, 1 the batch is full, 2 the staging area
  ;; or the spans are full (or the next line needs more room than there is: result +20),
  ;; 3 the next line has a byte above 0x7f (its end, before any \r, at result +20).
  ;; Writes at 896 (result): +0 the next line, +4 the end of the staged bytes, +8 records
  ;; taken, +12 their bytes, +16 how many were truncated, +20 as above.
  (func (export "renderRun")
    (param $in i32) (param $inEnd i32) (param $out i32) (param $outEnd i32) (param $room i32)
    (param $spans i32) (param $spansEnd i32) (param $spanBase i32)
    (param $offset f64) (param $max i32)
    (param $count i32) (param $bytes i32) (param $maxEvents i32) (param $maxBytes i32) (param $flags i32)
    (result i32)
    (local $inStart i32) (local $outStart i32) (local $base i64) (local $status i32)
    (local $nl i32) (local $stop i32) (local $cut i32) (local $need i32)
    (local $rec i32) (local $end i32) (local $size i32)
    (local $records i32) (local $taken i32) (local $truncated i32) (local $note i32)
    (local.set $inStart (local.get $in))
    (local.set $outStart (local.get $out))
    (local.set $base (i64.trunc_f64_u (local.get $offset)))
    (block $stopped
      (loop $lines
        (local.set $status (i32.const 0))
        (br_if $stopped (i32.ge_u (local.get $in) (local.get $inEnd)))
        (local.set $nl (call $newline (local.get $in)))
        (local.set $stop (local.get $nl))
        (if (i32.gt_u (local.get $stop) (local.get $in)) (then
          (if (i32.eq (i32.load8_u (i32.sub (local.get $stop) (i32.const 1))) (i32.const 0x0d)) (then
            (local.set $stop (i32.sub (local.get $stop) (i32.const 1)))))))
        (local.set $cut (i32.gt_u (i32.sub (local.get $stop) (local.get $in)) (local.get $max)))
        (if (local.get $cut) (then (local.set $stop (i32.add (local.get $in) (local.get $max)))))
        ;; The most the record can take: the pieces, 6 bytes a byte, three numbers.
        (local.set $need (i32.add (i32.add (i32.load (i32.const 1020)) (i32.const 64))
          (i32.mul (i32.sub (local.get $stop) (local.get $in)) (i32.const 6))))
        (local.set $status (i32.const 2))
        (local.set $note (local.get $need))
        (br_if $stopped (i32.gt_u (i32.add (local.get $out) (local.get $need)) (local.get $outEnd)))
        (br_if $stopped (i32.ge_u (local.get $spans) (local.get $spansEnd)))
        (local.set $rec (call $piece (select (i32.const 10) (i32.const 9) (local.get $count)) (local.get $out)))
        (local.set $end (call $record (local.get $in) (local.get $stop) (local.get $rec)
          (i64.add (local.get $base) (i64.extend_i32_u (i32.sub (local.get $in) (local.get $inStart))))
          (i32.or (i32.and (local.get $flags) (i32.const 2)) (local.get $cut))))
        (if (i32.and (local.get $end) (i32.const 0x80000000)) (then
          (if (i32.eqz (i32.and
                (i32.ne (i32.and (local.get $flags) (i32.const 4)) (i32.const 0))
                (i32.eq (local.get $in) (local.get $inStart)))) (then
            (local.set $status (i32.const 3))
            (local.set $note (local.get $stop))
            (br $stopped)))
          (local.set $end (i32.and (local.get $end) (i32.const 0x7fffffff)))))
        (local.set $size (i32.sub (local.get $end) (local.get $rec)))
        (local.set $status (i32.const 1))
        (if (local.get $count) (then
          (br_if $stopped (i32.gt_u (i32.add (local.get $bytes) (local.get $size)) (local.get $maxBytes)))
          (br_if $stopped (i32.gt_u (i32.sub (local.get $end) (local.get $outStart)) (local.get $room)))))
        (i32.store (local.get $spans) (i32.add (local.get $spanBase) (i32.sub (local.get $rec) (local.get $outStart))))
        (i32.store offset=4 (local.get $spans) (i32.add (local.get $spanBase) (i32.sub (local.get $end) (local.get $outStart))))
        (local.set $spans (i32.add (local.get $spans) (i32.const 8)))
        (local.set $out (local.get $end))
        (local.set $in (i32.add (local.get $nl) (i32.const 1)))
        (local.set $count (i32.add (local.get $count) (i32.const 1)))
        (local.set $bytes (i32.add (local.get $bytes) (local.get $size)))
        (local.set $records (i32.add (local.get $records) (i32.const 1)))
        (local.set $taken (i32.add (local.get $taken) (local.get $size)))
        (local.set $truncated (i32.add (local.get $truncated) (local.get $cut)))
        (br_if $stopped (i32.ge_u (local.get $count) (local.get $maxEvents)))
        (br_if $stopped (i32.ge_u (local.get $bytes) (local.get $maxBytes)))
        (br $lines)))
    (i32.store (i32.const 896) (local.get $in))
    (i32.store (i32.const 900) (local.get $out))
    (i32.store (i32.const 904) (local.get $records))
    (i32.store (i32.const 908) (local.get $taken))
    (i32.store (i32.const 912) (local.get $truncated))
    (i32.store (i32.const 916) (local.get $note))
    (local.get $status))
)
