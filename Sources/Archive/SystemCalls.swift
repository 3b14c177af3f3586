import SystemCalls

// Archive's names for SystemCalls' calls, throwing ``ArchiveError/systemCall`` (its messages
// stay as they were). The loops and the C-string copy live in SystemCalls alone.

extension ArchiveError {
  init(_ error: SystemCallError) { self = .systemCall(call: error.call, path: displayPath(error.pathBytes), errno: error.errno) }
}

/// Runs one or more ``Syscall`` calls, their ``SystemCallError`` becoming ``ArchiveError/systemCall``.
@inline(__always)
func sys<R>(_ body: () throws(SystemCallError) -> R) throws(ArchiveError) -> R {
  do { return try body() } catch { throw ArchiveError(error) }
}

/// Writes all of `buffer` to `fd`, looping over short writes and EINTR.
func writeAll(_ fd: CInt, _ buffer: UnsafeRawBufferPointer, path: String) throws(ArchiveError) {
  do { try Syscall.writeAll(fd, buffer, path: path) } catch { throw ArchiveError(error) }
}

/// Reads up to `buffer.count` bytes, looping over EINTR but not over short reads;
/// returns 0 only at end of file.
func readSome(_ fd: CInt, _ buffer: UnsafeMutableRawBufferPointer, path: String) throws(ArchiveError) -> Int {
  do { return try Syscall.read(fd, into: buffer, path: path) } catch { throw ArchiveError(error) }
}

/// Reads until `buffer` is full or end of file; returns the bytes read.
func readFully(_ fd: CInt, _ buffer: UnsafeMutableRawBufferPointer, path: String) throws(ArchiveError) -> Int {
  do { return try Syscall.readFully(fd, into: buffer, path: path) } catch { throw ArchiveError(error) }
}

/// `Array.withUnsafeBytes` keeps typed throws (the stdlib's `rethrows` loses them).
@inline(__always)
func withBytes<R>(_ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(ArchiveError) -> R) throws(ArchiveError) -> R {
  try array.withUnsafeBufferPointer { (p) throws(ArchiveError) -> R in try body(UnsafeRawBufferPointer(p)) }
}
