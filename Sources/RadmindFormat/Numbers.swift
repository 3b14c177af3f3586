/// Lenient numeric parsing exactly as radmind's readers do it (spec §1.3): C `strtol`/`atoi`
/// semantics, parsing as far as the digits go. A non-numeric field is 0, never an error.
public enum LenientNumber {
  /// C `strtoll(token, NULL, base)` for base 8 or 10: optional sign, digits of the base, clamped
  /// to the 64-bit range on overflow.
  public static func strtoll(_ t: UnsafeRawBufferPointer, base: Int64 = 10) -> Int64 {
    var i = 0
    let n = t.count
    while i < n, t[i] == 0x20 || (t[i] >= 0x09 && t[i] <= 0x0D) { i += 1 }
    var negative = false
    if i < n, t[i] == UInt8(ascii: "-") || t[i] == UInt8(ascii: "+") {
      negative = t[i] == UInt8(ascii: "-")
      i += 1
    }
    var value: UInt64 = 0
    var overflow = false
    let limit: UInt64 = negative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)
    while i < n {
      let d = Int64(t[i]) - 0x30
      guard d >= 0, d < base else { break }
      if !overflow {
        let (m, o1) = value.multipliedReportingOverflow(by: UInt64(base))
        let (s, o2) = m.addingReportingOverflow(UInt64(d))
        if o1 || o2 || s > limit { overflow = true } else { value = s }
      }
      i += 1
    }
    if overflow { return negative ? Int64.min : Int64.max }
    return negative ? Int64(bitPattern: 0 &- value) : Int64(value)
  }

  /// C `atoi` on glibc: `(int) strtol(s, NULL, 10)`, so large values wrap (4294967294 -> -2).
  public static func atoi(_ t: UnsafeRawBufferPointer) -> Int32 {
    Int32(truncatingIfNeeded: strtoll(t, base: 10))
  }

  /// A mode field: `strtol(s, NULL, 8)`, so "0798" is 07 and "rwxr" is 0.
  public static func octal(_ t: UnsafeRawBufferPointer) -> UInt32 {
    UInt32(truncatingIfNeeded: strtoll(t, base: 8))
  }
}
