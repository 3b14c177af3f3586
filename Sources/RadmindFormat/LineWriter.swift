/// Writes transcript lines in fsdiff's exact layout (spec §1.5): prefix, type, the encoded path
/// padded to 37 bytes, a TAB, then the type's fields with radmind's fixed widths.
///
///     var out: [UInt8] = []
///     LineWriter.append(entry, to: &out)       // "f ./etc/motd      ^I0644     0 ..."
public enum LineWriter {
  public static let pathColumn = 37

  /// Appends `entry` as one line (ending in LF) to `out`. `prefix` overrides the entry's own.
  /// `includeFinderInfo` prints a `d` line's Finder info as macOS builds do; Linux builds never do.
  public static func append(_ entry: Entry, prefix: Entry.Prefix? = nil, includeFinderInfo: Bool = false,
                            to out: inout [UInt8]) {
    let p = prefix ?? entry.prefix
    let info = includeFinderInfo && entry.kind == .directory ? entry.finderInfo : []
    let bound = maxLength(pathCount: entry.path.count, targetCount: entry.target.count,
                          checksumCount: entry.checksum.count + info.count)
    entry.path.withUnsafeBytes { path in
      entry.target.withUnsafeBytes { target in
        entry.checksum.withUnsafeBytes { checksum in
          info.withUnsafeBytes { finder in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bound) { buf in
              let n = write(prefix: p, kind: entry.kind, path: path, permissions: entry.permissions,
                            uid: entry.uid, gid: entry.gid, mtime: entry.mtime, size: entry.size,
                            checksum: checksum, target: target, major: entry.major, minor: entry.minor,
                            finderInfo: finder, to: buf.baseAddress!)
              out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[0..<n]))
            }
          }
        }
      }
    }
  }

  /// The most bytes ``write(prefix:kind:path:permissions:uid:gid:mtime:size:checksum:target:major:minor:finderInfo:to:)``
  /// can produce for these field lengths (checksum and Finder info counted together).
  @inlinable
  public static func maxLength(pathCount: Int, targetCount: Int, checksumCount: Int) -> Int {
    4 + 2 * pathCount + pathColumn + 1 + 2 * targetCount + checksumCount + 8 * 24
  }

  /// Writes one line (ending in LF) from its fields to `out`, which must have room for
  /// ``maxLength(pathCount:targetCount:checksumCount:)`` bytes; returns the bytes written.
  /// Fields a type does not print are ignored. This is the one formatter: ``append(_:prefix:includeFinderInfo:to:)``
  /// calls it, and fsdiff calls it straight from `lstat` fields.
  public static func write(prefix p: Entry.Prefix, kind: Entry.Kind, path: UnsafeRawBufferPointer,
                           permissions: UInt32, uid: Int32, gid: Int32, mtime: Int64, size: Int64,
                           checksum: UnsafeRawBufferPointer, target: UnsafeRawBufferPointer,
                           major: Int32, minor: Int32, finderInfo: UnsafeRawBufferPointer,
                           to out: UnsafeMutablePointer<UInt8>) -> Int {
    var o = 0
    if p != .none {
      out[0] = p.rawValue
      out[1] = 0x20
      o = 2
    }
    out[o] = kind.rawValue
    out[o + 1] = 0x20
    o += 2
    let before = o
    o = encode(path, to: out, at: o)
    let written = o - before
    if written < pathColumn {
      (out + o).initialize(repeating: 0x20, count: pathColumn - written)
      o += pathColumn - written
    }
    out[o] = 0x09
    o += 1
    switch kind {
    case .hardLink:
      o = encode(target, to: out, at: o)
    default:
      o = writeOctal4(permissions, to: out, at: o)
      out[o] = 0x20; o = writeDecimal(Int64(uid), width: 5, to: out, at: o + 1)
      out[o] = 0x20; o = writeDecimal(Int64(gid), width: 5, to: out, at: o + 1)
      switch kind {
      case .file, .appleFile:
        out[o] = 0x20; o = writeDecimal(mtime, width: 9, to: out, at: o + 1)
        out[o] = 0x20; o = writeDecimal(size, width: 7, to: out, at: o + 1)
        out[o] = 0x20; o += 1
        o = copy(checksum, to: out, at: o)
      case .blockDevice, .characterDevice:
        out[o] = 0x20; o = writeDecimal(Int64(major), width: 5, to: out, at: o + 1)
        out[o] = 0x20; o = writeDecimal(Int64(minor), width: 5, to: out, at: o + 1)
      case .symbolicLink:
        out[o] = 0x20; o = encode(target, to: out, at: o + 1)
      case .directory where !finderInfo.isEmpty:
        out[o] = 0x20; o = copy(finderInfo, to: out, at: o + 1)
      default:
        break
      }
    }
    out[o] = 0x0A
    return o + 1
  }

  @inline(__always)
  static func copy(_ bytes: UnsafeRawBufferPointer, to out: UnsafeMutablePointer<UInt8>, at o: Int) -> Int {
    if let base = bytes.baseAddress, bytes.count > 0 {
      UnsafeMutableRawPointer(out + o).copyMemory(from: base, byteCount: bytes.count)
    }
    return o + bytes.count
  }

  /// radmind's escapes (``PathCodec``) written at `out + o`; returns the new offset.
  @inline(__always)
  static func encode(_ raw: UnsafeRawBufferPointer, to out: UnsafeMutablePointer<UInt8>, at start: Int) -> Int {
    var o = start
    guard let src = raw.baseAddress else { return o }
    let n = raw.count
    var i = 0
    // Eight bytes at a time while none needs an escape (every escaped byte is <= 0x20 or `\`).
    while i + 8 <= n {
      let x = src.loadUnaligned(fromByteOffset: i, as: UInt64.self)
      let low: UInt64 = 0x0101_0101_0101_0101
      let high: UInt64 = 0x8080_8080_8080_8080
      let below21 = (x &- low &* 0x21) & ~x & high
      let y = x ^ (low &* 0x5C)
      let backslash = (y &- low) & ~y & high
      if below21 | backslash != 0 { break }
      UnsafeMutableRawPointer(out + o).storeBytes(of: x, as: UInt64.self)
      o += 8
      i += 8
    }
    while i < n {
      let b = src.load(fromByteOffset: i, as: UInt8.self)
      i += 1
      if b > 0x20 && b != 0x5C {
        out[o] = b
        o += 1
        continue
      }
      switch b {
      case 0x20: out[o] = 0x5C; out[o + 1] = UInt8(ascii: "b"); o += 2
      case 0x09: out[o] = 0x5C; out[o + 1] = UInt8(ascii: "t"); o += 2
      case 0x0A: out[o] = 0x5C; out[o + 1] = UInt8(ascii: "n"); o += 2
      case 0x0D: out[o] = 0x5C; out[o + 1] = UInt8(ascii: "r"); o += 2
      case 0x5C: out[o] = 0x5C; out[o + 1] = 0x5C; o += 2
      default: out[o] = b; o += 1
      }
    }
    return o
  }

  /// `%.4o` at `out + o`; returns the new offset.
  @inline(__always)
  static func writeOctal4(_ value: UInt32, to out: UnsafeMutablePointer<UInt8>, at o: Int) -> Int {
    var digits = 1
    var v = value >> 3
    while v != 0 { digits += 1; v >>= 3 }
    let n = max(digits, 4)
    v = value
    var k = n - 1
    while k >= 0 {
      out[o + k] = 0x30 + UInt8(v & 7)
      v >>= 3
      k -= 1
    }
    return o + n
  }

  /// `%*lld` at `out + o` (at most 20 digits and a sign, plus padding); returns the new offset.
  @inline(__always)
  static func writeDecimal(_ value: Int64, width: Int, to out: UnsafeMutablePointer<UInt8>, at o: Int) -> Int {
    var mag = value.magnitude
    var digits = 1
    var t = mag / 10
    while t != 0 { digits += 1; t /= 10 }
    let len = digits + (value < 0 ? 1 : 0)
    var pos = o
    if len < width {
      (out + pos).initialize(repeating: 0x20, count: width - len)
      pos += width - len
    }
    if value < 0 { out[pos] = UInt8(ascii: "-"); pos += 1 }
    var k = pos + digits - 1
    repeat {
      out[k] = 0x30 + UInt8(mag % 10)
      mag /= 10
      k -= 1
    } while mag != 0
    return pos + digits
  }

  public static func line(_ entry: Entry, prefix: Entry.Prefix? = nil) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(96)
    append(entry, prefix: prefix, to: &out)
    return out
  }

  /// `%.4o`: octal, zero-padded to at least 4 digits.
  public static func appendOctal4(_ value: UInt32, to out: inout [UInt8]) {
    var buf: (UInt64, UInt64) = (0, 0)  // 16 bytes: enough for 11 octal digits
    withUnsafeMutableBytes(of: &buf) { raw in
      let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
      let n = writeOctal4(value, to: p, at: 0)
      out.append(contentsOf: UnsafeRawBufferPointer(start: raw.baseAddress, count: n))
    }
  }

  /// `%*lld`: signed decimal right-justified in `width` columns (wider numbers printed in full).
  public static func appendDecimal(_ value: Int64, width: Int, to out: inout [UInt8]) {
    var buf: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: enough for "-9223372036854775808"
    withUnsafeMutableBytes(of: &buf) { raw in
      var pos = raw.count
      let negative = value < 0
      var mag = value.magnitude
      repeat {
        pos -= 1
        raw[pos] = 0x30 + UInt8(mag % 10)
        mag /= 10
      } while mag != 0
      if negative { pos -= 1; raw[pos] = UInt8(ascii: "-") }
      let len = raw.count - pos
      if len < width { out.append(contentsOf: repeatElement(0x20, count: width - len)) }
      out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[pos...]))
    }
  }

  /// Pads `text` on the right to `width` (left-justified, `%-*s`).
  public static func appendLeft(_ text: UnsafeRawBufferPointer, width: Int, to out: inout [UInt8]) {
    out.append(contentsOf: text)
    if text.count < width { out.append(contentsOf: repeatElement(0x20, count: width - text.count)) }
  }

  /// Pads `text` on the left to `width` (right-justified, `%*s`).
  public static func appendRight(_ text: UnsafeRawBufferPointer, width: Int, to out: inout [UInt8]) {
    if text.count < width { out.append(contentsOf: repeatElement(0x20, count: width - text.count)) }
    out.append(contentsOf: text)
  }
}
