import SystemCalls

/// A buffered writer over a file descriptor. Bytes are appended to an array and written with
/// `write(2)` in large chunks; ``flush()`` writes the rest. Used for stdout and output files.
public final class OutputBuffer {
  /// -1 once ``closeQuietly()`` has closed it.
  public private(set) var fd: Int32
  public let name: String
  /// Appended to once per line by the merge tools: unchecked exclusivity (measured, see lmerge).
  @exclusivity(unchecked) public var bytes: [UInt8] = []
  private let threshold: Int

  public init(fd: Int32, name: String = "(stdout)", threshold: Int = 1 << 20) {
    self.fd = fd
    self.name = name
    self.threshold = threshold
    bytes.reserveCapacity(threshold + 8192)
  }

  /// Closes the descriptor, once: later calls do nothing. A second `close(2)` of the same number
  /// can close a file another thread has just opened (it is given the lowest free number).
  public func closeQuietly() {
    guard fd >= 0 else { return }
    Syscall.closeQuietly(fd)
    fd = -1
  }

  /// `close(2)` once, reporting its error (where some file systems first report a full disk).
  /// The descriptor counts as closed even then: Linux has released it.
  public func close(shownAs path: String) throws(SystemCallError) {
    guard fd >= 0 else { return }
    let closing = fd
    fd = -1
    try Syscall.close(closing, path: path)
  }

  @inline(__always)
  public func append(_ b: UInt8) { bytes.append(b) }

  @inline(__always)
  public func append(_ buf: UnsafeRawBufferPointer) throws(SystemCallError) {
    bytes.append(contentsOf: buf)
    if bytes.count >= threshold { try flush() }
  }

  public func append(_ s: String) throws(SystemCallError) {
    bytes.append(contentsOf: s.utf8)
    if bytes.count >= threshold { try flush() }
  }

  public func append(_ a: [UInt8]) throws(SystemCallError) {
    bytes.append(contentsOf: a)
    if bytes.count >= threshold { try flush() }
  }

  /// Call after appending directly to ``bytes``.
  @inline(__always)
  public func flushIfFull() throws(SystemCallError) {
    if bytes.count >= threshold { try flush() }
  }

  public func flush() throws(SystemCallError) {
    guard !bytes.isEmpty else { return }
    let copy = bytes
    var failure: SystemCallError?
    copy.withUnsafeBytes { raw in
      do throws(SystemCallError) { try writeAll(fd: fd, raw, name: name) } catch { failure = error }
    }
    bytes.removeAll(keepingCapacity: true)
    if let failure { throw failure }
  }
}

/// Writes every byte of `buf` to `fd`, looping over short writes and EINTR.
public func writeAll(fd: Int32, _ buf: UnsafeRawBufferPointer, name: String) throws(SystemCallError) {
  try Syscall.writeAll(fd, buf, path: name)
}

/// Standard output and standard error as buffered writers, for the command-line front ends.
public enum StandardStreams {
  public static func writeError(_ s: String) {
    WorkProgress.clearForMessage()  // a message never lands on the end of a progress line
    try? Syscall.writeAll(2, Array(s.utf8), path: "(stderr)")
  }
}
