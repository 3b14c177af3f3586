import SystemCalls

/// Everything that can go wrong while writing or reading an archive.
///
/// Each case prints as one sentence that names what failed: the system call and path,
/// the zlib call, or the byte offset in the decompressed tar stream.
package enum ArchiveError: Error, Equatable, CustomStringConvertible, Sendable {
  /// A system call failed; `path` names the file when one is known (may be empty).
  case systemCall(call: String, path: String, errno: CInt)
  /// zlib returned an unexpected code from `call`.
  case zlib(call: String, code: CInt, message: String)
  /// The input does not start with the gzip magic bytes, or its header is malformed.
  case notGzip(String)
  /// The compressed stream ended before the gzip trailer (or before a member was complete).
  case truncatedGzip(compressedOffset: Int64)
  /// The deflate data is corrupt (zlib's message).
  case corruptDeflate(String)
  /// The CRC32 in the gzip trailer does not match the decompressed data.
  case crcMismatch(expected: UInt32, actual: UInt32)
  /// The ISIZE in the gzip trailer does not match the decompressed length (mod 2^32).
  case lengthMismatch(expected: UInt32, actual: UInt32)
  /// Bytes follow the last gzip member that are not another member.
  case trailingGarbage(compressedOffset: Int64)
  /// The tar stream ended in the middle of an entry or before its end-of-archive blocks.
  case truncatedTar(offset: Int64)
  /// A tar header block failed its checksum.
  case badHeaderChecksum(offset: Int64)
  /// A tar header or pax record is malformed.
  case badHeader(offset: Int64, reason: String)
  /// An entry's name or link target would escape the extraction root.
  case unsafePath(path: [UInt8], reason: String)
  /// A value cannot be written (e.g. an empty path or a path containing NUL).
  case invalidEntry(path: [UInt8], reason: String)
  /// A file being archived delivered fewer bytes than its recorded size.
  case fileShrank(path: [UInt8], expected: Int64, actual: Int64)
  /// The writer was used after `finish()` or after an error.
  case writerClosed
  /// A caller's check refused the archive's contents (the message says why).
  case rejected(String)

  package var description: String {
    switch self {
    case let .systemCall(call, path, code):
      let message = SystemCallError.reason(code)
      return path.isEmpty ? "\(call): \(message)" : "\(path): \(call): \(message)"
    case let .zlib(call, code, message):
      return "zlib \(call) failed (\(code)): \(message)"
    case let .notGzip(reason):
      return "not a gzip stream: \(reason)"
    case let .truncatedGzip(offset):
      return "gzip stream is truncated: input ends at compressed byte \(offset) before the end of the stream"
    case let .corruptDeflate(message):
      return "gzip stream is corrupt: \(message)"
    case let .crcMismatch(expected, actual):
      return "gzip CRC32 mismatch: trailer says \(hex(expected)), data has \(hex(actual))"
    case let .lengthMismatch(expected, actual):
      return "gzip length mismatch: trailer says \(expected) bytes (mod 2^32), data has \(actual)"
    case let .trailingGarbage(offset):
      return "trailing garbage after the gzip stream at compressed byte \(offset)"
    case let .truncatedTar(offset):
      return "tar archive is truncated at byte \(offset)"
    case let .badHeaderChecksum(offset):
      return "tar header at byte \(offset) has a bad checksum"
    case let .badHeader(offset, reason):
      return "tar header at byte \(offset) is invalid: \(reason)"
    case let .unsafePath(path, reason):
      return "unsafe entry name '\(displayPath(path))': \(reason)"
    case let .invalidEntry(path, reason):
      return "cannot archive '\(displayPath(path))': \(reason)"
    case let .fileShrank(path, expected, actual):
      return "'\(displayPath(path))' shrank while being archived: expected \(expected) bytes, read \(actual)"
    case .writerClosed:
      return "the archive writer is already finished or failed"
    case let .rejected(message):
      return message
    }
  }
}

/// Shows a byte path to a person: valid UTF-8 as is, other bytes as `\xNN`.
func displayPath(_ bytes: [UInt8]) -> String {
  if let text = String(validating: bytes, as: UTF8.self) { return text }
  var out = ""
  for byte in bytes {
    if byte >= 0x20 && byte < 0x7F { out.unicodeScalars.append(Unicode.Scalar(byte)) }
    else { out += "\\x" + hex2(byte) }
  }
  return out
}

private func hex(_ value: UInt32) -> String {
  let digits = String(value, radix: 16)
  return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}

private func hex2(_ value: UInt8) -> String {
  let digits = String(value, radix: 16)
  return digits.count == 1 ? "0" + digits : digits
}

extension ArchiveError {
  init(_ error: SystemCallError) { self = .systemCall(call: error.call, path: displayPath(error.pathBytes), errno: error.errno) }
}

/// Runs one or more ``Syscall`` calls, their ``SystemCallError`` becoming ``ArchiveError/systemCall``.
@inline(__always)
func sys<R>(_ body: () throws(SystemCallError) -> R) throws(ArchiveError) -> R {
  do { return try body() } catch { throw ArchiveError(error) }
}
