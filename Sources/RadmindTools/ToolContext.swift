import TranscriptIO

/// What a radmind-compatible front end gets from the process: its name as invoked (for messages
/// that radmind prefixes with it), its arguments, and buffered standard output.
public final class ToolContext {
  /// The name radmind would print (argv[0] for a multicall symlink, the tool name under `loadsmith TOOL`).
  public let program: String
  public let arguments: [String]
  public let stdout: OutputBuffer

  public init(program: String, arguments: [String], stdout: OutputBuffer = OutputBuffer(fd: 1)) {
    self.program = program
    self.arguments = arguments
    self.stdout = stdout
  }

  /// Writes to standard error at once, after flushing standard output so the two stay in order.
  public func error(_ message: String) {
    try? stdout.flush()
    StandardStreams.writeError(message)
  }

  /// Writes raw bytes (paths need not be UTF-8) to standard error, after flushing standard output.
  public func errorBytes(_ bytes: [UInt8]) {
    try? stdout.flush()
    bytes.withUnsafeBytes { raw in try? writeAll(fd: 2, raw, name: "(stderr)") }
  }

  public func out(_ s: String) {
    try? stdout.append(s)
  }
}

/// A radmind tool's main function: returns the exit status.
public typealias RadmindToolMain = @Sendable (ToolContext) -> Int32

/// The radmind tools Loadsmith answers to, by the name radmind gives them.
public enum RadmindTools {
  /// One line per tool; each tool's front end lives in its own file.
  public static let all: [String: RadmindToolMain] = [
    "lsort": lsortMain,
    "lcksum": lcksumMain,
    "lmerge": lmergeMain,
    "fsdiff": fsdiffMain,
    "twhich": twhichMain,
  ]
}
