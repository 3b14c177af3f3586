import SystemCalls

/// radmind's path escapes (spec §2): exactly five bytes are escaped, everything else is raw.
///
///     space -> \b   tab -> \t   LF -> \n   CR -> \r   backslash -> \\
///
/// Paths are byte strings; nothing here assumes UTF-8.
public enum PathCodec {
  /// Appends the encoded form of `raw` to `out`.
  @inlinable
  public static func encode<S: Sequence>(_ raw: S, into out: inout [UInt8]) where S.Element == UInt8 {
    for byte in raw {
      switch byte {
      case 0x20: out.append(0x5C); out.append(UInt8(ascii: "b"))
      case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
      case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
      case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
      case 0x5C: out.append(0x5C); out.append(0x5C)
      default: out.append(byte)
      }
    }
  }

  public static func encode<S: Sequence>(_ raw: S) -> [UInt8] where S.Element == UInt8 {
    var out: [UInt8] = []
    out.reserveCapacity(raw.underestimatedCount + 8)
    encode(raw, into: &out)
    return out
  }

  /// The byte an escape `\c` stands for, or nil when `\c` is not one of radmind's five escapes.
  @inlinable @inline(__always)
  public static func unescape(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "b"): return 0x20
    case UInt8(ascii: "t"): return 0x09
    case UInt8(ascii: "n"): return 0x0A
    case UInt8(ascii: "r"): return 0x0D
    case 0x5C: return 0x5C
    default: return nil
    }
  }

  /// Decodes `encoded`. Returns nil for an invalid escape (`\q`, or a lone trailing `\`):
  /// radmind produces garbage there (§2.2); we reject it.
  public static func decode(_ encoded: UnsafeRawBufferPointer) -> [UInt8]? {
    var out: [UInt8] = []
    out.reserveCapacity(encoded.count)
    var i = 0
    let n = encoded.count
    while i < n {
      let b = encoded[i]
      if b == 0x5C {
        guard i + 1 < n, let u = unescape(encoded[i + 1]) else { return nil }
        out.append(u)
        i += 2
      } else {
        out.append(b)
        i += 1
      }
    }
    return out
  }

  public static func decode(_ encoded: [UInt8]) -> [UInt8]? {
    encoded.withUnsafeBytes { decode($0) }
  }

  /// True when every backslash in `encoded` starts a valid escape.
  @inlinable
  public static func isValidEncoding(_ encoded: UnsafeRawBufferPointer) -> Bool {
    var i = 0
    let n = encoded.count
    while i < n {
      if encoded[i] == 0x5C {
        guard i + 1 < n, unescape(encoded[i + 1]) != nil else { return false }
        i += 2
      } else {
        i += 1
      }
    }
    return true
  }

  /// Checks the escapes and measures the decoded form in one pass: nil for an invalid escape.
  /// Paths without a backslash (nearly all) cost one `memchr`.
  @inlinable
  public static func validatedDecodedLength(_ encoded: UnsafeRawBufferPointer) -> Int? {
    let n = encoded.count
    guard n > 0, let base = encoded.baseAddress else { return 0 }
    guard var hit = memchrBackslash(base, n) else { return n }
    var length = hit
    var i = hit
    while i < n {
      guard i + 1 < n, unescape(encoded[i + 1]) != nil else { return nil }
      length += 1
      i += 2
      guard let next = memchrBackslash(base + i, n - i) else { return length + (n - i) }
      hit = i + next
      length += hit - i
      i = hit
    }
    return length
  }

  /// Offset of the first backslash in `count` bytes at `p`.
  @inlinable @inline(__always)
  static func memchrBackslash(_ p: UnsafeRawPointer, _ count: Int) -> Int? {
    guard count > 0, let hit = Bytes.find(0x5C, in: p, count: count) else { return nil }
    return UnsafeRawPointer(hit) - p
  }

  /// Length of the decoded form (each valid escape counts one byte).
  @inlinable
  public static func decodedLength(_ encoded: UnsafeRawBufferPointer) -> Int {
    var count = 0
    var i = 0
    let n = encoded.count
    while i < n {
      i += encoded[i] == 0x5C ? 2 : 1
      count += 1
    }
    return count
  }
}
