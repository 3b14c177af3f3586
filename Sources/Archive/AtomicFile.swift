import SystemCalls
import TranscriptIO

/// Creates `path` so that it appears complete or not at all, through the project's one atomic
/// writer (``TranscriptIO/AtomicFile``: a temporary file in the same directory, fsync, rename,
/// directory fsync; removed on any error, ENOSPC at `fsync` or `close` included, and on SIGINT).
///
/// - Parameters:
///   - permissions: mode of the new file (before the umask).
///   - body: writes through the descriptor; must not close it.
/// - Important: One writer per `path`.
package func writeAtomically(at path: [UInt8], permissions: FileMode = 0o644,
                            _ body: (CInt) throws -> Void) throws {
  guard let last = path.last, last != 0x2F else {
    throw ArchiveError.invalidEntry(path: path, reason: "the destination has no file name")
  }
  let file: AtomicFile
  do { file = try AtomicFile(pathBytes: path, mode: permissions) } catch {
    throw ArchiveError.systemCall(call: error.call, path: error.path, errno: error.errno)
  }
  do {
    try body(file.buffer.fd)
    try file.commit()
  } catch let error as SystemCallError {
    file.abort()
    throw ArchiveError.systemCall(call: error.call, path: error.path, errno: error.errno)
  } catch {
    file.abort()
    throw error
  }
}
