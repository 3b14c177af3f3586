import SystemCalls
import TranscriptIO

/// Where a radmind-style tool writes: buffered standard output and unbuffered standard error,
/// both plain file descriptors, so library code can report without printing itself and tests
/// can capture both streams.
///
///     let output = ToolOutput(stdout: OutputBuffer(fd: 1), stderrFD: 2)
///     output.out(Array("app.T: verified\n".utf8))
///
/// Messages are bytes: they quote transcript paths, which need not be UTF-8.
public final class ToolOutput {
  public let stdout: OutputBuffer
  public let stderrFD: Int32
  /// Flush standard output after every message (radmind's `-i`).
  public var lineBuffered: Bool

  public init(stdout: OutputBuffer, stderrFD: Int32 = 2, lineBuffered: Bool = false) {
    self.stdout = stdout
    self.stderrFD = stderrFD
    self.lineBuffered = lineBuffered
  }

  /// Appends a message to standard output.
  public func out(_ bytes: [UInt8]) {
    try? stdout.append(bytes)
    if lineBuffered { try? stdout.flush() }
  }

  public func out(_ text: String) { out(Array(text.utf8)) }

  /// Writes a message to standard error at once, after flushing standard output so that a
  /// terminal shows the two in the order they happened.
  public func err(_ bytes: [UInt8]) {
    try? stdout.flush()
    bytes.withUnsafeBytes { try? writeAll(fd: stderrFD, $0, name: "(stderr)") }
  }

  public func err(_ text: String) { err(Array(text.utf8)) }

  public func flush() { try? stdout.flush() }
}
