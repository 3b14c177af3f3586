#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A system call failed: which call, on which path, and the errno it set.
/// `description` prints the way radmind's tools do: `PATH: No such file or directory`.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
  public var call: String
  public var path: String
  public var errno: Int32
  /// A reason that says more than `strerror` (`is a FIFO, not a regular file`).
  public var explanation: String?

  public init(_ call: String, path: String, errno: Int32 = Glibc.errno, explanation: String? = nil) {
    self.call = call
    self.path = path
    self.errno = errno
    self.explanation = explanation
  }

  public var reason: String { explanation ?? String(cString: strerror(errno)) }
  public var description: String { "\(path): \(reason)" }
  /// `PATH: CALL: reason`, for our own commands where naming the call helps.
  public var detailed: String { "\(path): \(call): \(reason)" }
}

/// Runs `body` until it stops failing with EINTR; turns -1 into a ``SystemError``.
@inline(__always)
public func retryingOnInterrupt(_ call: String, _ path: String, _ body: () -> Int32) throws(SystemError) -> Int32 {
  while true {
    let r = body()
    if r != -1 { return r }
    if errno != EINTR { throw SystemError(call, path: path) }
  }
}

@inline(__always)
public func retryingOnInterrupt(_ call: String, _ path: String, _ body: () -> Int) throws(SystemError) -> Int {
  while true {
    let r = body()
    if r != -1 { return r }
    if errno != EINTR { throw SystemError(call, path: path) }
  }
}
