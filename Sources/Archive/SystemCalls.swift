#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs `body` until it stops failing with EINTR and turns -1 into ``ArchiveError/systemCall``.
/// The one place in Archive that reads `errno` after a call.
@inline(__always)
func retryingOnInterrupt<R: BinaryInteger>(
  _ call: String, _ path: String, _ body: () -> R
) throws(ArchiveError) -> R {
  while true {
    let result = body()
    if result != -1 { return result }
    let code = errno
    if code != EINTR { throw .systemCall(call: call, path: path, errno: code) }
  }
}

/// Writes all of `buffer` to `fd` (C `write`, looped over short writes and EINTR).
func writeAll(_ fd: CInt, _ buffer: UnsafeRawBufferPointer, path: String) throws(ArchiveError) {
  guard var base = buffer.baseAddress else { return }
  var left = buffer.count
  while left > 0 {
    let n = try retryingOnInterrupt("write", path) { write(fd, base, left) }
    if n == 0 { throw .systemCall(call: "write", path: path, errno: EIO) }
    base += n
    left -= n
  }
}

/// Reads up to `buffer.count` bytes, looping over EINTR but not over short reads;
/// returns 0 only at end of file (C `read`).
func readSome(_ fd: CInt, _ buffer: UnsafeMutableRawBufferPointer, path: String) throws(ArchiveError) -> Int {
  guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
  return try retryingOnInterrupt("read", path) { read(fd, base, buffer.count) }
}

/// Reads until `buffer` is full or end of file; returns the bytes read.
func readFully(_ fd: CInt, _ buffer: UnsafeMutableRawBufferPointer, path: String) throws(ArchiveError) -> Int {
  var total = 0
  while total < buffer.count {
    let n = try readSome(fd, UnsafeMutableRawBufferPointer(rebasing: buffer[total...]), path: path)
    if n == 0 { break }
    total += n
  }
  return total
}

/// A C string for a byte path, for calls that take `const char *`.
@inline(__always)
func withCPath<R>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) throws(ArchiveError) -> R) throws(ArchiveError) -> R {
  var zeroTerminated = path
  zeroTerminated.append(0)
  return try zeroTerminated.withUnsafeBufferPointer { (p) throws(ArchiveError) -> R in
    try p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { (c) throws(ArchiveError) -> R in try body(c) }
  }
}

/// `Array.withUnsafeBytes` keeps typed throws (the stdlib's `rethrows` loses them).
@inline(__always)
func withBytes<R>(_ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(ArchiveError) -> R) throws(ArchiveError) -> R {
  try array.withUnsafeBufferPointer { (p) throws(ArchiveError) -> R in try body(UnsafeRawBufferPointer(p)) }
}
