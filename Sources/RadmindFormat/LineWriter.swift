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
    if p != .none {
      out.append(p.rawValue)
      out.append(0x20)
    }
    out.append(entry.kind.rawValue)
    out.append(0x20)
    let before = out.count
    PathCodec.encode(entry.path, into: &out)
    let written = out.count - before
    if written < pathColumn {
      out.append(contentsOf: repeatElement(0x20, count: pathColumn - written))
    }
    out.append(0x09)
    switch entry.kind {
    case .hardLink:
      PathCodec.encode(entry.target, into: &out)
    default:
      appendOctal4(entry.permissions, to: &out)
      appendSpace(); appendDecimal(Int64(entry.uid), width: 5, to: &out)
      appendSpace(); appendDecimal(Int64(entry.gid), width: 5, to: &out)
      switch entry.kind {
      case .file, .appleFile:
        appendSpace(); appendDecimal(entry.mtime, width: 9, to: &out)
        appendSpace(); appendDecimal(entry.size, width: 7, to: &out)
        appendSpace(); out.append(contentsOf: entry.checksum)
      case .blockDevice, .characterDevice:
        appendSpace(); appendDecimal(Int64(entry.major), width: 5, to: &out)
        appendSpace(); appendDecimal(Int64(entry.minor), width: 5, to: &out)
      case .symbolicLink:
        appendSpace(); PathCodec.encode(entry.target, into: &out)
      case .directory where includeFinderInfo && !entry.finderInfo.isEmpty:
        appendSpace(); out.append(contentsOf: entry.finderInfo)
      default:
        break
      }
    }
    out.append(0x0A)
    func appendSpace() { out.append(0x20) }
  }

  public static func line(_ entry: Entry, prefix: Entry.Prefix? = nil) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(96)
    append(entry, prefix: prefix, to: &out)
    return out
  }

  /// `%.4o`: octal, zero-padded to at least 4 digits.
  public static func appendOctal4(_ value: UInt32, to out: inout [UInt8]) {
    var digits: [UInt8] = []
    var v = value
    repeat {
      digits.append(0x30 + UInt8(v & 7))
      v >>= 3
    } while v != 0
    while digits.count < 4 { digits.append(0x30) }
    out.append(contentsOf: digits.reversed())
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
