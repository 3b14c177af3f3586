#if canImport(Glibc)
import Glibc
#endif

/// A system call failed: which call, on which path (bytes, as given), and the errno it set.
/// `description` prints the way radmind's tools do: `PATH: No such file or directory`.
/// The one error every module's system calls throw, and the one `strerror` formatter.
public struct SystemCallError: Error, Sendable, Equatable, CustomStringConvertible {
  public var call: String
  /// The path as the caller gave it, byte for byte.
  public var pathBytes: [UInt8]
  public var errno: Int32
  /// A reason that says more than `strerror` (`is a FIFO, not a regular file`).
  public var explanation: String?

  public init(_ call: String, pathBytes: [UInt8], errno: Int32 = Syscall.errno, explanation: String? = nil) {
    self.call = call
    self.pathBytes = pathBytes
    self.errno = errno
    self.explanation = explanation
  }

  public init(_ call: String, path: String, errno: Int32 = Syscall.errno, explanation: String? = nil) {
    self.init(call, pathBytes: Array(path.utf8), errno: errno, explanation: explanation)
  }

  /// The path for a message (bytes that are not UTF-8 replaced, as `String(decoding:)` does).
  public var path: String { String(decoding: pathBytes, as: UTF8.self) }
  public var reason: String { explanation ?? SystemCallError.reason(errno) }
  public var description: String { "\(path): \(reason)" }
  /// `PATH: CALL: reason`, for our own commands where naming the call helps.
  public var detailed: String { "\(path): \(call): \(reason)" }

  /// `strerror(code)`: the text every message about an errno uses.
  public static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }
  /// `strerror(code)` as bytes, for messages built from byte paths.
  public static func reasonBytes(_ code: Int32) -> [UInt8] { Array(reason(code).utf8) }
}
