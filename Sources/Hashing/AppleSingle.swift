import SystemCalls

/// The AppleSingle byte stream radmind stores and hashes for `a` lines (spec §4.3):
///
///     26-byte header | 3 entries of 12 bytes | 32 bytes Finder info | resource fork | data fork
///
/// Linux never produces `a` lines; this exists so that a loadset made on macOS can be checked
/// (`lcksum -A`) and so the stream is defined in one place.
public enum AppleSingle {
  public static let headerLength = 26
  public static let entryLength = 12
  public static let finderInfoLength = 32
  /// Header plus the three entries: where the Finder info starts.
  public static let finderInfoOffset = 62
  /// Everything before the resource fork.
  public static let prefixLength = 94

  static let magic: [UInt8] = [0x00, 0x05, 0x16, 0x00]
  static let version: [UInt8] = [0x00, 0x02, 0x00, 0x00]
  static let finderInfoID: UInt32 = 9, resourceForkID: UInt32 = 2, dataForkID: UInt32 = 1

  /// The first 62 bytes: header and the entries for Finder info, resource fork, data fork.
  public static func header(resourceForkLength: UInt32, dataForkLength: UInt32) -> [UInt8] {
    var out = magic + version + [UInt8](repeating: 0, count: 16) + [0x00, 0x03]
    func be32(_ v: UInt32) { out += [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    func entry(_ id: UInt32, _ offset: UInt32, _ length: UInt32) { be32(id); be32(offset); be32(length) }
    entry(finderInfoID, UInt32(finderInfoOffset), UInt32(finderInfoLength))
    entry(resourceForkID, UInt32(prefixLength), resourceForkLength)
    entry(dataForkID, UInt32(prefixLength) &+ resourceForkLength, dataForkLength)
    return out
  }

  /// A stored file that is not a well-formed AppleSingle stream; messages as radmind's lcksum -A.
  public enum FormatError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidHeader
    case invalidFinderInfoOffset
    case incorrectResourceForkOffset
    case incorrectDataForkOffset
    public var description: String {
      switch self {
      case .invalidHeader: return "invalid applesingle header"
      case .invalidFinderInfoOffset: return "invalid finder info offset"
      case .incorrectResourceForkOffset: return "incorrect rsrc fork offset"
      case .incorrectDataForkOffset: return "incorrect data fork offset"
      }
    }
  }

  /// Checks the first 62 bytes of a stored stream and returns the total size the entries
  /// declare (62 + the three lengths), which a valid file's size must equal.
  public static func declaredSize(header bytes: UnsafeRawBufferPointer) -> Result<Int64, FormatError> {
    guard bytes.count >= finderInfoOffset else { return .failure(.invalidHeader) }
    let expected = magic + version + [UInt8](repeating: 0, count: 16) + [0x00, 0x03]
    for i in 0..<headerLength where bytes[i] != expected[i] { return .failure(.invalidHeader) }
    func be32(_ at: Int) -> UInt32 {
      UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
    }
    func entry(_ k: Int) -> (id: UInt32, offset: UInt32, length: UInt32) {
      let at = headerLength + k * entryLength
      return (be32(at), be32(at + 4), be32(at + 8))
    }
    let fi = entry(0), rf = entry(1), df = entry(2)
    guard fi.id == finderInfoID, rf.id == resourceForkID, df.id == dataForkID else { return .failure(.invalidHeader) }
    guard fi.offset == UInt32(finderInfoOffset) else { return .failure(.invalidFinderInfoOffset) }
    guard UInt64(rf.offset) == UInt64(fi.offset) + UInt64(fi.length) else { return .failure(.incorrectResourceForkOffset) }
    guard UInt64(df.offset) == UInt64(rf.offset) + UInt64(rf.length) else { return .failure(.incorrectDataForkOffset) }
    return .success(Int64(finderInfoOffset) + Int64(fi.length) + Int64(rf.length) + Int64(df.length))
  }

  /// Why ``declaredSize(fd:)`` failed.
  public enum CheckFailure: Error, Sendable, Equatable {
    case format(FormatError)
    case read(errno: Int32)
  }

  /// Reads the first 62 bytes of `fd` (from its current offset) and checks them. A file shorter
  /// than that has an invalid header.
  public static func declaredSize(fd: Int32) -> Result<Int64, CheckFailure> {
    var buf = [UInt8](repeating: 0, count: finderInfoOffset)
    var got = 0
    while got < finderInfoOffset {
      let result = buf.withUnsafeMutableBytes { raw in
        Result { () throws(SystemCallError) in
          try Syscall.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: raw[got..<finderInfoOffset]), path: [])
        }
      }
      guard case .success(let r) = result else {
        if case .failure(let error) = result { return .failure(.read(errno: error.errno)) }
        fatalError("unreachable")
      }
      if r == 0 { break }
      got += r
    }
    return buf.withUnsafeBytes { raw in
      declaredSize(header: UnsafeRawBufferPointer(rebasing: raw[0..<got])).mapError { .format($0) }
    }
  }
}

extension FileHasher {
  /// Hashes the AppleSingle stream of a macOS file: header, `finderInfo` (32 bytes),
  /// `resourceFork`, then the data fork read from `dataFork` (from its current offset).
  /// `size` and `bytesHashed` are the stream's length, 94 + R + D; `mtime` is the data fork's.
  public func hashAppleSingle(finderInfo: [UInt8], resourceFork: UnsafeRawBufferPointer,
                              dataFork fd: Int32) -> Result<FileDigest, FileHashError> {
    precondition(finderInfo.count == AppleSingle.finderInfoLength, "Finder info is 32 bytes")
    let st: FileStatus
    do { st = try Syscall.fstat(fd, path: []) } catch { return .failure(.system(call: "fstat", errno: error.errno)) }
    let dataLength = Int64(st.st_size)
    let prefix = AppleSingle.header(resourceForkLength: UInt32(truncatingIfNeeded: resourceFork.count),
                                    dataForkLength: UInt32(truncatingIfNeeded: dataLength))
    digester.reset()
    digester.update(prefix)
    digester.update(finderInfo)
    digester.update(resourceFork)
    // hashStream resets the digester; continue the same message by hand instead.
    switch continueStream(fd: fd) {
    case .failure(let e): return .failure(e)
    case .success(let read):
      if read != dataLength { return .failure(.changedWhileReading(expectedSize: dataLength, bytesRead: read)) }
      let total = Int64(AppleSingle.prefixLength) + Int64(resourceFork.count) + read
      return .success(FileDigest(bytesHashed: total, checksum: digester.finalizeBase64(),
                                 size: total, mtime: Int64(st.st_mtim.tv_sec)))
    }
  }
}
