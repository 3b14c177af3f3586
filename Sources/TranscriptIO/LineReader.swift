#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reads a file descriptor line by line with one large reused buffer: no allocation per line,
/// memory independent of the file's size.
///
///     let reader = try LineReader(path: "base.T")
///     while let line = try reader.next() {   // bytes before the LF, valid until the next call
///       ...
///     }
///
/// A line longer than the buffer grows it (rare: transcript lines are short). The final line may
/// lack its LF; ``lastLineHadNewline`` tells (radmind readers reject that, lsort accepts it).
public final class LineReader {
  public let fd: Int32
  public let name: String
  private let ownsDescriptor: Bool
  @exclusivity(unchecked) private var buffer: UnsafeMutableRawBufferPointer
  @exclusivity(unchecked) private var start = 0   // first unread byte
  @exclusivity(unchecked) private var end = 0     // end of valid bytes
  @exclusivity(unchecked) private var eof = false
  /// 1-based number of the line last returned.
  @exclusivity(unchecked) public private(set) var lineNumber = 0
  /// False when the line last returned ended at end of file without an LF.
  @exclusivity(unchecked) public private(set) var lastLineHadNewline = true
  /// Bytes consumed so far (through the end of the line last returned).
  @exclusivity(unchecked) public private(set) var offset: Int64 = 0

  public init(fd: Int32, name: String, bufferSize: Int = 1 << 20, ownsDescriptor: Bool = false) {
    self.fd = fd
    self.name = name
    self.ownsDescriptor = ownsDescriptor
    buffer = .allocate(byteCount: bufferSize, alignment: 16)
  }

  public convenience init(path: String, bufferSize: Int = 1 << 20) throws(SystemError) {
    let fd = try retryingOnInterrupt("open", path) { open(path, O_RDONLY | O_CLOEXEC) }
    self.init(fd: fd, name: path, bufferSize: bufferSize, ownsDescriptor: true)
  }

  deinit {
    buffer.deallocate()
    if ownsDescriptor { close(fd) }
  }

  /// The next line without its LF, or nil at end of file. The bytes stay valid until the next call.
  public func next() throws(SystemError) -> UnsafeRawBufferPointer? {
    while true {
      if start < end {
        let base = buffer.baseAddress! + start
        if let nl = memchr(base, 0x0A, end - start) {
          let len = UnsafeRawPointer(nl) - UnsafeRawPointer(base)
          let line = UnsafeRawBufferPointer(start: base, count: len)
          start += len + 1
          lineNumber += 1
          offset += Int64(len + 1)
          lastLineHadNewline = true
          return line
        }
      }
      if eof {
        guard start < end else { return nil }
        let line = UnsafeRawBufferPointer(start: buffer.baseAddress! + start, count: end - start)
        offset += Int64(end - start)
        start = end
        lineNumber += 1
        lastLineHadNewline = false
        return line
      }
      try refill()
    }
  }

  /// Moves the unread tail to the front (growing the buffer if a line fills it) and reads more.
  private func refill() throws(SystemError) {
    if start > 0 {
      let pending = end - start
      if pending > 0 { memmove(buffer.baseAddress!, buffer.baseAddress! + start, pending) }
      start = 0
      end = pending
    }
    if end == buffer.count {
      let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 16)
      bigger.copyMemory(from: UnsafeRawBufferPointer(buffer))
      buffer.deallocate()
      buffer = bigger
    }
    let n = try retryingOnInterrupt("read", name) { read(fd, buffer.baseAddress! + end, buffer.count - end) }
    if n == 0 { eof = true } else { end += n }
  }
}
