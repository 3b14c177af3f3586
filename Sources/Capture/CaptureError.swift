import SystemCalls

/// A fatal fsdiff condition: the exact bytes radmind prints on standard error (without the
/// final LF) and the exit status (2 for everything radmind treats as fatal, spec §7.7).
public struct CaptureError: Error, Sendable, CustomStringConvertible {
  public var message: [UInt8]
  public var status: Int32

  public init(_ message: [UInt8], status: Int32 = 2) {
    self.message = message
    self.status = status
  }

  public init(_ message: String, status: Int32 = 2) {
    self.init(Array(message.utf8), status: status)
  }

  /// `perror(path)`: `<path>: <strerror(errno)>`.
  public static func system(_ path: [UInt8], errno code: Int32) -> CaptureError {
    if code == DigestError.changedWhileReading {
      return CaptureError(path + Array(": file changed while being read (its size or modification time moved); no checksum recorded, run again once it is stable".utf8))
    }
    return CaptureError(path + Array(": ".utf8) + SystemCallError.reasonBytes(code))
  }

  public var description: String { String(decoding: message, as: UTF8.self) }
}

/// Runs ``Syscall`` calls; a failure becomes `perror(path)`'s message (``CaptureError/system(_:errno:)``).
@inline(__always)
func sys<R>(_ path: @autoclosure () -> [UInt8], _ body: () throws(SystemCallError) -> R) throws(CaptureError) -> R {
  do { return try body() } catch { throw CaptureError.system(path(), errno: error.errno) }
}
