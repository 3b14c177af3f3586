#if canImport(Glibc)
import Glibc
#endif

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
    return CaptureError(path + Array(": ".utf8) + Array(String(cString: strerror(code)).utf8))
  }

  public var description: String { String(decoding: message, as: UTF8.self) }
}

/// Runs `body` with `path` as a NUL-terminated C string (paths are raw bytes, never Strings).
@inline(__always)
func withCPath<R>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) throws(CaptureError) -> R) throws(CaptureError) -> R {
  var c = path
  c.append(0)
  var result: Result<R, CaptureError>!
  c.withUnsafeBufferPointer { buf in
    buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) { p in
      do throws(CaptureError) { result = .success(try body(p)) } catch { result = .failure(error) }
    }
  }
  return try result.get()
}
