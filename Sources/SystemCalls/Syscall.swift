#if canImport(Glibc)
import Glibc
#endif

/// The one door to the C library: every module calls the kernel through here, on paths that are
/// `[UInt8]` kept byte for byte (never `FilePath`, which rewrites `//` and a trailing `/` that
/// radmind's messages keep). Each call retries on EINTR and throws one ``SystemCallError``.
/// Linux only (`renameat2`, `syncfs`, `st_mtim`), as `Package.swift` declares.
public enum Syscall {
  /// The calling thread's `errno`.
  public static var errno: Int32 {
    get { Glibc.errno }
    set { Glibc.errno = newValue }
  }

  /// Runs `body` until it stops failing with EINTR; turns -1 into a ``SystemCallError`` naming
  /// `call` and `path` (built only on failure). The one retry loop.
  @inline(__always)
  package static func retrying<R: BinaryInteger>(
    _ call: String, _ path: @autoclosure () -> [UInt8], _ body: () -> R
  ) throws(SystemCallError) -> R {
    while true {
      let result = body()
      if result != -1 { return result }
      let code = Glibc.errno
      if code != EINTR { throw SystemCallError(call, pathBytes: path(), errno: code) }
    }
  }

  @inline(__always)
  package static func retrying<R: BinaryInteger>(
    _ call: String, _ path: String, _ body: () -> R
  ) throws(SystemCallError) -> R {
    try retrying(call, Array(path.utf8), body)
  }

  /// Calls `body` with `path` NUL-terminated in a temporary buffer (on the stack when short):
  /// no heap copy per call.
  @inline(__always)
  package static func withCString<R, E: Error>(
    _ path: [UInt8], _ body: (UnsafePointer<CChar>) throws(E) -> R
  ) throws(E) -> R {
    let result: Result<R, E> = withUnsafeTemporaryAllocation(of: CChar.self, capacity: path.count + 1) { buffer in
      path.withUnsafeBytes { bytes in
        UnsafeMutableRawBufferPointer(buffer).copyMemory(from: bytes)
      }
      buffer[path.count] = 0
      do throws(E) { return .success(try body(UnsafePointer(buffer.baseAddress!))) } catch { return .failure(error) }
    }
    return try result.get()
  }
}

#if !os(Linux)
#error("Loadsmith runs on Linux only (renameat2, syncfs, st_mtim).")
#endif
