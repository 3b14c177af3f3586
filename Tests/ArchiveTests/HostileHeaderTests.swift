import Foundation
import Testing
@testable import Archive

/// Headers no honest writer makes: the reader refuses them with an error, never a trap
/// (issue 10, item 7).
struct HostileHeaderTests {
  /// A header block of type `flag` whose size field is GNU base-256 `size` (negative allowed).
  func header(_ name: String, flag: UInt8, base256 size: Int64) -> [UInt8] {
    var h = HeaderBlock()
    h.setBytes(TarLayout.name, Array(name.utf8))
    h.setOctal(TarLayout.mode, 0o644)
    h.setOctal(TarLayout.uid, 0)
    h.setOctal(TarLayout.gid, 0)
    h.setOctal(TarLayout.mtime, 0)
    h.bytes[TarLayout.typeFlag] = flag
    h.setBytes(TarLayout.magic, Array("ustar\0".utf8))
    h.setBytes(TarLayout.version, Array("00".utf8))
    var v = size  // arithmetic shifts: the sign fills the high bytes, as GNU tar writes it
    for i in TarLayout.size.reversed() {
      h.bytes[i] = UInt8(truncatingIfNeeded: v)
      v >>= 8
    }
    h.bytes[TarLayout.size.lowerBound] |= 0x80
    h.sealChecksum()
    return h.bytes
  }

  func header(_ name: String, flag: UInt8, octal size: Int64) -> [UInt8] {
    var h = HeaderBlock()
    h.setBytes(TarLayout.name, Array(name.utf8))
    for r in [TarLayout.mode, TarLayout.uid, TarLayout.gid, TarLayout.mtime] { h.setOctal(r, 0) }
    h.setOctal(TarLayout.size, size)
    h.bytes[TarLayout.typeFlag] = flag
    h.setBytes(TarLayout.magic, Array("ustar\0".utf8))
    h.sealChecksum()
    return h.bytes
  }

  let end = [UInt8](repeating: 0, count: 1024)

  @Test("a negative base-256 size is refused naming the member", arguments: [
    (UInt8(ascii: "x"), Int64(-1)), (UInt8(ascii: "L"), Int64(-512)), (UInt8(ascii: "K"), Int64.min),
    (UInt8(ascii: "g"), Int64(-7)), (UInt8(ascii: "0"), Int64(-1)), (UInt8(ascii: "5"), Int64(-1000)),
  ])
  func negativeSize(flag: UInt8, size: Int64) throws {
    let tar = header("victim", flag: flag, base256: size) + end
    guard case .badHeader(offset: 0, let reason)? = readError(tar, compressed: false) else {
      Issue.record("negative size accepted"); return
    }
    #expect(reason.contains("'victim'") && reason.contains("negative size"), "\(reason)")
  }

  @Test("an extended header larger than 1 MiB is refused before anything is allocated")
  func hugeExtendedHeader() throws {
    let tar = header("big", flag: UInt8(ascii: "L"), base256: Int64.max) + end
    guard case .badHeader(offset: 0, let reason)? = readError(tar, compressed: false) else {
      Issue.record("huge long name accepted"); return
    }
    #expect(reason.contains("1048576"), "\(reason)")
  }

  @Test("many extended headers in a row cannot add up past the limit")
  func manyExtendedHeaders() throws {
    var pax = PaxRecords()
    pax.add("comment", [UInt8](repeating: 0x61, count: 600_000))
    var tar: [UInt8] = []
    for _ in 0..<2 {
      tar += header("PaxHeaders/x", flag: UInt8(ascii: "x"), octal: Int64(pax.data.count)) + pax.data
      tar += [UInt8](repeating: 0, count: paddingAfter(Int64(pax.data.count)))
    }
    tar += header("x", flag: UInt8(ascii: "0"), octal: 0) + end
    guard case .badHeader(let offset, let reason)? = readError(tar, compressed: false) else {
      Issue.record("2 x 600 KB of pax records accepted"); return
    }
    #expect(offset > 0 && reason.contains("extended headers of more than"))
  }

  @Test("a pax size of Int64.max is a truncated archive, not an overflow")
  func paxSizeMax() throws {
    var pax = PaxRecords()
    pax.add("size", decimal: Int64.max)
    let tar = header("PaxHeaders/f", flag: UInt8(ascii: "x"), octal: Int64(pax.data.count)) + pax.data
      + [UInt8](repeating: 0, count: paddingAfter(Int64(pax.data.count)))
      + header("f", flag: UInt8(ascii: "0"), octal: 0) + end
    guard case .truncatedTar? = readError(tar, compressed: false) else {
      Issue.record("Int64.max size accepted"); return
    }
  }
}
