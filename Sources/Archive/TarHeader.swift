// ustar header layout and pax records: the one place that knows the field offsets.

enum TarLayout {
  static let block = 512
  static let name = 0..<100
  static let mode = 100..<108
  static let uid = 108..<116
  static let gid = 116..<124
  static let size = 124..<136
  static let mtime = 136..<148
  static let checksum = 148..<156
  static let typeFlag = 156
  static let linkName = 157..<257
  static let magic = 257..<263
  static let version = 263..<265
  static let userName = 265..<297
  static let groupName = 297..<329
  static let prefix = 345..<500

  /// Largest value in an 8-byte octal field (7 digits + NUL).
  static let maxOctal8: Int64 = 0o7777777
  /// Largest value in a 12-byte octal field (11 digits + NUL): 8 GiB - 1.
  static let maxOctal12: Int64 = 0o77777777777
}

/// Builds one 512-byte ustar header block in place.
struct HeaderBlock {
  var bytes = [UInt8](repeating: 0, count: TarLayout.block)

  mutating func setBytes(_ range: Range<Int>, _ value: some Collection<UInt8>) {
    precondition(value.count <= range.count)
    var i = range.lowerBound
    for byte in value { bytes[i] = byte; i += 1 }
  }

  /// Writes `value` as zero-padded octal filling the field but its last byte (NUL).
  mutating func setOctal(_ range: Range<Int>, _ value: Int64) {
    precondition(value >= 0)
    var v = value
    var i = range.upperBound - 2
    while i >= range.lowerBound {
      bytes[i] = UInt8(truncatingIfNeeded: 0x30 + (v & 7))
      v >>= 3
      i -= 1
    }
    precondition(v == 0, "octal field overflow")
    bytes[range.upperBound - 1] = 0
  }

  mutating func sealChecksum() {
    for i in TarLayout.checksum { bytes[i] = 0x20 }
    var sum: Int64 = 0
    for b in bytes { sum += Int64(b) }
    // Six octal digits, NUL, space: what every tar writes.
    var v = sum
    for i in stride(from: TarLayout.checksum.lowerBound + 5, through: TarLayout.checksum.lowerBound, by: -1) {
      bytes[i] = UInt8(0x30 + (v & 7))
      v >>= 3
    }
    bytes[TarLayout.checksum.lowerBound + 6] = 0
    bytes[TarLayout.checksum.lowerBound + 7] = 0x20
  }
}

/// Accumulates pax extended header records: `"<len> <key>=<value>\n"`.
struct PaxRecords {
  var data: [UInt8] = []
  var isEmpty: Bool { data.isEmpty }

  mutating func add(_ key: String, _ value: some Collection<UInt8>) {
    let body = key.utf8.count + value.count + 3  // " ", "=", "\n"
    var length = body + 1
    // The length counts its own digits: grow until stable.
    while body + String(length).utf8.count != length { length = body + String(length).utf8.count }
    data += Array(String(length).utf8)
    data.append(0x20)
    data += Array(key.utf8)
    data.append(0x3D)
    data += value
    data.append(0x0A)
  }

  mutating func add(_ key: String, decimal value: Int64) {
    add(key, Array(String(value).utf8))
  }
}

/// Splits `path` into ustar `prefix` and `name` (joined by "/"), or returns nil.
func splitUstarPath(_ path: [UInt8]) -> (prefix: ArraySlice<UInt8>, name: ArraySlice<UInt8>)? {
  if path.count <= 100 { return (path[0..<0], path[...]) }
  if path.count > 256 { return nil }
  // The slash must leave at most 100 bytes after it and at most 155 before it.
  let lowest = path.count - 101
  var i = lowest
  while i < path.count - 1 && i <= 155 {
    if path[i] == 0x2F && i > 0 { return (path[0..<i], path[(i + 1)...]) }
    i += 1
  }
  return nil
}

func isValidUTF8(_ bytes: [UInt8]) -> Bool {
  // ASCII fast path covers nearly every real name.
  var ascii = true
  for b in bytes where b >= 0x80 { ascii = false; break }
  if ascii { return true }
  return String(validating: bytes, as: UTF8.self) != nil
}

/// Encodes the header blocks for `entry`: a pax 'x' header (with its data, padded) when a
/// value does not fit ustar, then the ustar block. Returned bytes are a multiple of 512.
func encodeHeaders(for entry: TarEntry) throws(ArchiveError) -> [UInt8] {
  if entry.path.isEmpty { throw .invalidEntry(path: entry.path, reason: "empty path") }
  if entry.path.contains(0) { throw .invalidEntry(path: entry.path, reason: "path contains a NUL byte") }
  if entry.linkTarget.contains(0) { throw .invalidEntry(path: entry.path, reason: "link target contains a NUL byte") }
  if entry.size < 0 { throw .invalidEntry(path: entry.path, reason: "negative size") }

  var pax = PaxRecords()
  var header = HeaderBlock()
  let binaryNames = !isValidUTF8(entry.path) || !isValidUTF8(entry.linkTarget)
  if binaryNames { pax.add("hdrcharset", Array("BINARY".utf8)) }

  // Name: ustar name/prefix if it fits and is UTF-8, else pax "path" and a truncated ustar name.
  if !binaryNames, let split = splitUstarPath(entry.path) {
    header.setBytes(TarLayout.name, split.name)
    header.setBytes(TarLayout.prefix, split.prefix)
  } else {
    pax.add("path", entry.path)
    header.setBytes(TarLayout.name, truncatedASCII(entry.path, 100))
  }
  if entry.linkTarget.count > 100 || binaryNames && !entry.linkTarget.isEmpty {
    pax.add("linkpath", entry.linkTarget)
    header.setBytes(TarLayout.linkName, truncatedASCII(entry.linkTarget, 100))
  } else {
    header.setBytes(TarLayout.linkName, entry.linkTarget)
  }

  header.setOctal(TarLayout.mode, Int64(entry.mode & 0o7777))
  for (range, value, key) in [(TarLayout.uid, entry.uid, "uid"), (TarLayout.gid, entry.gid, "gid")] {
    if Int64(value) <= TarLayout.maxOctal8 { header.setOctal(range, Int64(value)) }
    else { header.setOctal(range, 0); pax.add(key, decimal: Int64(value)) }
  }
  if entry.size <= TarLayout.maxOctal12 { header.setOctal(TarLayout.size, entry.size) }
  else { header.setOctal(TarLayout.size, 0); pax.add("size", decimal: entry.size) }
  if entry.mtime >= 0 && entry.mtime <= TarLayout.maxOctal12 { header.setOctal(TarLayout.mtime, entry.mtime) }
  else { header.setOctal(TarLayout.mtime, 0); pax.add("mtime", decimal: entry.mtime) }

  header.bytes[TarLayout.typeFlag] = entry.kind.typeFlag
  header.setBytes(TarLayout.magic, Array("ustar\0".utf8))
  header.setBytes(TarLayout.version, Array("00".utf8))
  for (range, value, key) in [(TarLayout.userName, entry.userName, "uname"), (TarLayout.groupName, entry.groupName, "gname")] {
    if value.count <= 31 && isValidUTF8(value) && !value.contains(0) { header.setBytes(range, value) }
    else if !value.contains(0) { pax.add(key, value) }
  }
  header.sealChecksum()

  if pax.isEmpty { return header.bytes }

  var paxHeader = HeaderBlock()
  var paxName = Array("PaxHeaders/".utf8)
  paxName += truncatedASCII(lastComponent(entry.path), 100 - paxName.count)
  paxHeader.setBytes(TarLayout.name, paxName)
  paxHeader.setOctal(TarLayout.mode, 0o644)
  paxHeader.setOctal(TarLayout.uid, 0)
  paxHeader.setOctal(TarLayout.gid, 0)
  paxHeader.setOctal(TarLayout.size, Int64(pax.data.count))
  paxHeader.setOctal(TarLayout.mtime, min(max(entry.mtime, 0), TarLayout.maxOctal12))
  paxHeader.bytes[TarLayout.typeFlag] = 0x78  // "x"
  paxHeader.setBytes(TarLayout.magic, Array("ustar\0".utf8))
  paxHeader.setBytes(TarLayout.version, Array("00".utf8))
  paxHeader.sealChecksum()

  var out = paxHeader.bytes
  out += pax.data
  out += [UInt8](repeating: 0, count: paddingAfter(Int64(pax.data.count)))
  out += header.bytes
  return out
}

@inline(__always) func paddingAfter(_ size: Int64) -> Int {
  Int((512 - size % 512) % 512)
}

/// The first `limit` bytes of `bytes` with non-ASCII bytes replaced by "_", for the
/// fallback ustar fields that old readers show when they ignore pax.
private func truncatedASCII(_ bytes: some Collection<UInt8>, _ limit: Int) -> [UInt8] {
  bytes.prefix(limit).map { $0 < 0x80 ? $0 : 0x5F }
}

private func lastComponent(_ path: [UInt8]) -> ArraySlice<UInt8> {
  var end = path.count
  while end > 0 && path[end - 1] == 0x2F { end -= 1 }
  var start = end
  while start > 0 && path[start - 1] != 0x2F { start -= 1 }
  return path[start..<end]
}
