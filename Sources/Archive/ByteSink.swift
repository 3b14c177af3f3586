import SystemCalls

/// Where the tar writer puts its stream. Lending `fill` lets file data be read straight
/// into the sink's buffer with no intermediate copy.
protocol ByteSink: AnyObject {
  /// Appends `bytes`.
  func write(_ bytes: UnsafeRawBufferPointer) throws(ArchiveError)
  /// Lends 1...`limit` writable bytes to `body`, which returns how many it produced.
  func fill(limit: Int, _ body: (UnsafeMutableRawBufferPointer) throws(ArchiveError) -> Int) throws(ArchiveError) -> Int
  /// Flushes everything to the descriptor; the sink cannot be used afterwards.
  func finish() throws(ArchiveError)
}

extension ByteSink {
  /// Appends `bytes` by filling the sink's lent buffer as often as needed.
  func write(_ bytes: UnsafeRawBufferPointer) throws(ArchiveError) {
    var offset = 0
    while offset < bytes.count {
      let n = try fill(limit: bytes.count - offset) { space in
        let n = min(space.count, bytes.count - offset)
        space.baseAddress!.copyMemory(from: bytes.baseAddress! + offset, byteCount: n)
        return n
      }
      offset += n
    }
  }
}

/// A buffered sink that writes the stream as is (an uncompressed tar).
final class PlainFileSink: ByteSink {
  private let fd: CInt
  private let path: String
  private let buffer: UnsafeMutableRawBufferPointer
  private var used = 0

  init(fd: CInt, path: String, bufferSize: Int = 1 << 20) {
    self.fd = fd
    self.path = path
    buffer = .allocate(byteCount: bufferSize, alignment: 64)
  }
  deinit { buffer.deallocate() }

  func fill(limit: Int, _ body: (UnsafeMutableRawBufferPointer) throws(ArchiveError) -> Int) throws(ArchiveError) -> Int {
    if used == buffer.count { try flush() }
    let count = min(limit, buffer.count - used)
    let n = try body(UnsafeMutableRawBufferPointer(rebasing: buffer[used..<(used + count)]))
    used += n
    return n
  }

  private func flush() throws(ArchiveError) {
    try sys { () throws(SystemCallError) in try Syscall.writeAll(fd, UnsafeRawBufferPointer(rebasing: buffer[0..<used]), path: path) }
    used = 0
  }

  func finish() throws(ArchiveError) { try flush() }
}
