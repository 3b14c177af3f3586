#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import TranscriptIO

extension FileSystem {
  /// Replaces the command file at `path` with `text` atomically, so that radmind's `ktcheck`
  /// notices: without `-c` it takes a file whose size and mtime (whole seconds) equal those of
  /// its copy as unchanged. Two rewrites in one second could look identical to it, so the new
  /// file's mtime is set (on the temporary file, before the rename) to at least one second after
  /// the old file's. mtimes of successive rewrites thus strictly increase, and a client's copy of
  /// any earlier version differs from the newest in mtime, whatever the sizes in between.
  static func rewriteCommandFile(_ path: String, _ text: String, mode: mode_t = 0o644) throws(StoreError) {
    var old = stat()
    let replacing = stat(path, &old) == 0
    do throws(SystemError) {
      let file = try AtomicFile(path: path, mode: mode)
      try file.buffer.append(text)
      try file.buffer.flush()
      var written = stat()
      if replacing, fstat(file.buffer.fd, &written) == 0, written.st_mtim.tv_sec <= old.st_mtim.tv_sec {
        var times = [timespec(tv_sec: old.st_mtim.tv_sec + 1, tv_nsec: 0),
                     timespec(tv_sec: old.st_mtim.tv_sec + 1, tv_nsec: 0)]
        if futimens(file.buffer.fd, &times) != 0 { throw SystemError("futimens", path: file.temporaryPath) }
      }
      try file.commit()
    } catch {
      throw .system(error)
    }
  }
}
