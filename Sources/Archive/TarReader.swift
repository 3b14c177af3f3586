import SystemCalls

/// Parses a tar stream (ustar, pax 'x'/'g', GNU 'L'/'K' long names, v7) from a
/// ``ChunkSource``, yielding entries whose data the caller streams out; no entry is
/// buffered whole. Header checksums are verified; the stream must end with the
/// end-of-archive zero blocks, and anything after them must be zeros.
final class TarReader {
  private let source: ChunkSource
  private var chunk = UnsafeRawBufferPointer(start: nil, count: 0)
  private var position = 0
  private var chunkStart: Int64 = 0  // stream offset of chunk[0]
  private var dataRemaining: Int64 = 0
  private var paddingRemaining = 0
  private var atEnd = false
  private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 512, alignment: 64)
  private var globalPax: [(key: [UInt8], value: [UInt8])] = []
  private var globalPaxBytes: Int64 = 0
  /// Largest pax or GNU long-name payload accepted (guards memory against hostile input): real
  /// ones hold a few names of at most PATH_MAX bytes.
  static let maxMetadataSize: Int64 = 1 << 20

  init(source: ChunkSource) { self.source = source }
  deinit { scratch.deallocate() }

  private var offset: Int64 { chunkStart + Int64(position) }

  /// Makes at least one byte available; false at end of stream.
  private func ensureBytes() throws(ArchiveError) -> Bool {
    while position == chunk.count {
      chunkStart += Int64(chunk.count)
      chunk = try source.nextChunk()
      position = 0
      if chunk.isEmpty { return false }
    }
    return true
  }

  /// The next 512-byte block, or nil at a clean end of stream.
  private func readBlock() throws(ArchiveError) -> UnsafeRawPointer? {
    if !(try ensureBytes()) { return nil }
    if chunk.count - position >= 512 {
      let block = chunk.baseAddress! + position
      position += 512
      return block
    }
    var have = 0
    while have < 512 {
      if !(try ensureBytes()) { throw .truncatedTar(offset: offset) }
      let n = min(512 - have, chunk.count - position)
      (scratch.baseAddress! + have).copyMemory(from: chunk.baseAddress! + position, byteCount: n)
      position += n
      have += n
    }
    return UnsafeRawPointer(scratch.baseAddress!)
  }

  private func skip(_ count: Int64) throws(ArchiveError) {
    var left = count
    while left > 0 {
      if !(try ensureBytes()) { throw .truncatedTar(offset: offset) }
      let n = Int(min(left, Int64(chunk.count - position)))
      position += n
      left -= Int64(n)
    }
  }

  /// The next entry, or nil after the end-of-archive blocks. Skips any unread data of
  /// the previous entry.
  func next() throws(ArchiveError) -> TarEntry? {
    if atEnd { return nil }
    try skip(dataRemaining)  // two steps: a pax size near Int64.max plus padding would overflow
    try skip(Int64(paddingRemaining))
    dataRemaining = 0
    paddingRemaining = 0
    var pax: [(key: [UInt8], value: [UInt8])] = []
    var longName: [UInt8]?
    var longLink: [UInt8]?
    var metadataBytes: Int64 = 0  // of this entry's extended headers together: bounded too
    while true {
      let headerOffset = offset
      guard let block = try readBlock() else { throw .truncatedTar(offset: headerOffset) }
      let header = UnsafeRawBufferPointer(start: block, count: 512)
      if isZero(header) {
        try finishAfterZeroBlock()
        return nil
      }
      try verifyChecksum(header, at: headerOffset)
      let typeFlag = header[TarLayout.typeFlag]
      let size = try parseNumber(header, TarLayout.size, at: headerOffset, field: "size")
      if size < 0 {  // GNU base-256 can say so; no length or skip may ever be negative
        throw .badHeader(offset: headerOffset, reason: "member '\(displayPath(field(header, TarLayout.name)))' has a negative size (\(size))")
      }
      switch typeFlag {
      case 0x78, 0x67, 0x4C, 0x4B:  // "x" pax, "g" global pax, "L" GNU long name, "K" GNU long link
        metadataBytes += min(size, TarReader.maxMetadataSize + 1)  // (never overflows)
        if typeFlag == 0x67 { globalPaxBytes += min(size, TarReader.maxMetadataSize + 1) }
        if metadataBytes > TarReader.maxMetadataSize || globalPaxBytes > TarReader.maxMetadataSize {
          throw .badHeader(offset: headerOffset, reason: "extended headers of more than \(TarReader.maxMetadataSize) bytes")
        }
        let payload = try readMetadata(size: size, at: headerOffset)
        switch typeFlag {
        case 0x78: pax += try parsePax(payload, at: headerOffset)
        case 0x67: globalPax += try parsePax(payload, at: headerOffset)
        case 0x4C: longName = Array(payload.prefix { $0 != 0 })
        default: longLink = Array(payload.prefix { $0 != 0 })
        }
        continue
      default:
        var entry = try parseUstar(header, at: headerOffset, typeFlag: typeFlag, size: size)
        if let longName { entry.path = longName }
        if let longLink { entry.linkTarget = longLink }
        for record in globalPax { try apply(record, to: &entry, at: headerOffset) }
        for record in pax { try apply(record, to: &entry, at: headerOffset) }
        dataRemaining = entry.size
        paddingRemaining = paddingAfter(entry.size)
        return entry
      }
    }
  }

  /// Copies up to `buffer.count` bytes of the current entry's data; 0 when it is all read.
  func readData(into buffer: UnsafeMutableRawBufferPointer) throws(ArchiveError) -> Int {
    if dataRemaining == 0 || buffer.isEmpty { return 0 }
    if !(try ensureBytes()) { throw .truncatedTar(offset: offset) }
    let n = Int(min(dataRemaining, Int64(min(buffer.count, chunk.count - position))))
    buffer.baseAddress!.copyMemory(from: chunk.baseAddress! + position, byteCount: n)
    position += n
    dataRemaining -= Int64(n)
    return n
  }

  /// Lends the rest of the current entry's data in place, chunk by chunk (no copy).
  func forEachDataChunk(_ body: (UnsafeRawBufferPointer) throws(ArchiveError) -> Void) throws(ArchiveError) {
    while dataRemaining > 0 {
      if !(try ensureBytes()) { throw .truncatedTar(offset: offset) }
      let n = Int(min(dataRemaining, Int64(chunk.count - position)))
      let piece = UnsafeRawBufferPointer(rebasing: chunk[position..<(position + n)])
      position += n
      dataRemaining -= Int64(n)
      try body(piece)
    }
  }

  private func readMetadata(size: Int64, at headerOffset: Int64) throws(ArchiveError) -> [UInt8] {
    if size > TarReader.maxMetadataSize {
      throw .badHeader(offset: headerOffset, reason: "extended header of \(size) bytes is too large (at most \(TarReader.maxMetadataSize))")
    }
    var payload = [UInt8](repeating: 0, count: Int(size))
    var filled = 0
    while filled < payload.count {
      if !(try ensureBytes()) { throw .truncatedTar(offset: offset) }
      let n = min(payload.count - filled, chunk.count - position)
      payload.withUnsafeMutableBytes { $0.baseAddress!.advanced(by: filled).copyMemory(from: chunk.baseAddress! + position, byteCount: n) }
      position += n
      filled += n
    }
    try skip(Int64(paddingAfter(size)))
    return payload
  }

  /// After a zero block: the second must follow (or the stream ends, which old tars
  /// allow), and whatever else remains must be zero padding. Reading to the end makes the
  /// gzip layer check its trailer.
  private func finishAfterZeroBlock() throws(ArchiveError) {
    atEnd = true
    while try ensureBytes() {
      let rest = UnsafeRawBufferPointer(rebasing: chunk[position...])
      if !isZero(rest) {
        let firstNonZero = rest.firstIndex { $0 != 0 }! - rest.startIndex
        throw .badHeader(offset: offset + Int64(firstNonZero), reason: "data after the end-of-archive blocks")
      }
      position = chunk.count
    }
  }

  private func verifyChecksum(_ header: UnsafeRawBufferPointer, at headerOffset: Int64) throws(ArchiveError) {
    let stored = try parseNumber(header, TarLayout.checksum, at: headerOffset, field: "checksum")
    var unsigned: Int64 = 0, signed: Int64 = 0
    for i in 0..<512 {
      let b = TarLayout.checksum.contains(i) ? 0x20 : header[i]
      unsigned += Int64(b)
      signed += Int64(Int8(bitPattern: b))
    }
    if stored != unsigned && stored != signed { throw .badHeaderChecksum(offset: headerOffset) }
  }

  private func parseUstar(_ header: UnsafeRawBufferPointer, at headerOffset: Int64, typeFlag: UInt8, size: Int64) throws(ArchiveError) -> TarEntry {
    let isPosix = header[TarLayout.magic].elementsEqual("ustar\0".utf8)
    var path = field(header, TarLayout.name)
    if isPosix {
      let prefix = field(header, TarLayout.prefix)
      if !prefix.isEmpty { path = BytePath.join(prefix, path) }
    }
    let mode = try parseNumber(header, TarLayout.mode, at: headerOffset, field: "mode")
    let uid = try parseNumber(header, TarLayout.uid, at: headerOffset, field: "uid")
    let gid = try parseNumber(header, TarLayout.gid, at: headerOffset, field: "gid")
    let mtime = try parseNumber(header, TarLayout.mtime, at: headerOffset, field: "mtime")
    return TarEntry(path: path, kind: .init(typeFlag: typeFlag), size: size, mode: UInt32(truncatingIfNeeded: mode & 0o7777),
                    uid: try id(uid, at: headerOffset), gid: try id(gid, at: headerOffset), mtime: mtime,
                    linkTarget: field(header, TarLayout.linkName),
                    userName: field(header, TarLayout.userName), groupName: field(header, TarLayout.groupName))
  }

  private func id(_ value: Int64, at headerOffset: Int64) throws(ArchiveError) -> UInt32 {
    guard let v = UInt32(exactly: value) else { throw .badHeader(offset: headerOffset, reason: "uid/gid \(value) out of range") }
    return v
  }

  private func apply(_ record: (key: [UInt8], value: [UInt8]), to entry: inout TarEntry, at headerOffset: Int64) throws(ArchiveError) {
    func number() throws(ArchiveError) -> Int64 {
      guard let v = parseDecimal(record.value) else {
        throw .badHeader(offset: headerOffset, reason: "pax value for \(displayPath(record.key)) is not a number")
      }
      return v
    }
    switch record.key {
    case Array("path".utf8): entry.path = record.value
    case Array("linkpath".utf8): entry.linkTarget = record.value
    case Array("size".utf8):
      let v = try number()
      if v < 0 { throw .badHeader(offset: headerOffset, reason: "negative pax size") }
      entry.size = v
    case Array("uid".utf8): entry.uid = try id(try number(), at: headerOffset)
    case Array("gid".utf8): entry.gid = try id(try number(), at: headerOffset)
    case Array("mtime".utf8): entry.mtime = try number()
    case Array("uname".utf8): entry.userName = record.value
    case Array("gname".utf8): entry.groupName = record.value
    default: break  // hdrcharset, atime, ctime, vendor keys: names are kept as bytes anyway
    }
  }
}

/// Parses pax records `"<len> <key>=<value>\n"`.
func parsePax(_ data: [UInt8], at headerOffset: Int64) throws(ArchiveError) -> [(key: [UInt8], value: [UInt8])] {
  var records: [(key: [UInt8], value: [UInt8])] = []
  var i = 0
  while i < data.count {
    if data[i] == 0 { break }  // some writers pad with NULs
    var length = 0, j = i
    while j < data.count, data[j] >= 0x30, data[j] <= 0x39, length < 1 << 30 {
      length = length * 10 + Int(data[j] - 0x30)
      j += 1
    }
    guard j < data.count, data[j] == 0x20, length > j - i + 1, i + length <= data.count, data[i + length - 1] == 0x0A
    else { throw .badHeader(offset: headerOffset, reason: "malformed pax record at byte \(i) of the extended header") }
    let body = data[(j + 1)..<(i + length - 1)]
    guard let equals = body.firstIndex(of: 0x3D)
    else { throw .badHeader(offset: headerOffset, reason: "pax record without '=' at byte \(i)") }
    records.append((Array(body[body.startIndex..<equals]), Array(body[(equals + 1)...])))
    i += length
  }
  return records
}

/// A pax decimal, possibly signed and with a fraction (dropped toward minus infinity).
func parseDecimal(_ bytes: [UInt8]) -> Int64? {
  var i = 0, negative = false
  if i < bytes.count, bytes[i] == 0x2D { negative = true; i += 1 }
  var value: Int64 = 0, digits = 0
  while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
    let (m, o1) = value.multipliedReportingOverflow(by: 10)
    let (a, o2) = m.addingReportingOverflow(Int64(bytes[i] - 0x30))
    if o1 || o2 { return nil }
    value = a
    digits += 1
    i += 1
  }
  if digits == 0 { return nil }
  var fraction = false
  if i < bytes.count, bytes[i] == 0x2E {
    i += 1
    while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { if bytes[i] != 0x30 { fraction = true }; i += 1 }
  }
  if i != bytes.count { return nil }
  return negative ? -value - (fraction ? 1 : 0) : value
}

/// A NUL-terminated header field's bytes.
private func field(_ header: UnsafeRawBufferPointer, _ range: Range<Int>) -> [UInt8] {
  var end = range.lowerBound
  while end < range.upperBound && header[end] != 0 { end += 1 }
  return Array(header[range.lowerBound..<end])
}

/// An octal field (leading spaces, ended by space or NUL) or GNU base-256 (high bit set).
private func parseNumber(_ header: UnsafeRawBufferPointer, _ range: Range<Int>, at headerOffset: Int64, field name: String) throws(ArchiveError) -> Int64 {
  let first = header[range.lowerBound]
  if first & 0x80 != 0 {
    let negative = first & 0x40 != 0
    var value: Int64 = negative ? -1 : 0
    for i in range {
      let byte = i == range.lowerBound ? (negative ? first : first & 0x7F) : header[i]
      if i > range.lowerBound && (value >> 55 != 0 && value >> 55 != -1) {
        throw .badHeader(offset: headerOffset, reason: "\(name) field overflows")
      }
      value = value << 8 | Int64(byte)
    }
    return value
  }
  var i = range.lowerBound
  while i < range.upperBound && header[i] == 0x20 { i += 1 }
  var value: Int64 = 0, digits = 0
  while i < range.upperBound, header[i] >= 0x30, header[i] <= 0x37 {
    value = value << 3 | Int64(header[i] - 0x30)
    digits += 1
    i += 1
  }
  if i < range.upperBound && header[i] != 0 && header[i] != 0x20 {
    throw .badHeader(offset: headerOffset, reason: "\(name) field is not octal")
  }
  return value
}

/// Whether every byte is zero; 8 bytes at a time.
func isZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
  guard let base = bytes.baseAddress else { return true }
  var i = 0
  while i + 8 <= bytes.count {
    if base.loadUnaligned(fromByteOffset: i, as: UInt64.self) != 0 { return false }
    i += 8
  }
  while i < bytes.count { if base.load(fromByteOffset: i, as: UInt8.self) != 0 { return false }; i += 1 }
  return true
}
