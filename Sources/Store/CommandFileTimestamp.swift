import SystemCalls
import TranscriptIO

/// Replaces the command file at `path` with `text` atomically, so that radmind's `ktcheck`
/// notices: without `-c` it takes a file whose size and mtime (whole seconds) equal those of
/// its copy as unchanged. Two rewrites in one second could look identical to it, so the new
/// file's mtime is set (on the temporary file, before the rename) to at least one second after
/// the old file's. mtimes of successive rewrites thus strictly increase, and a client's copy of
/// any earlier version differs from the newest in mtime, whatever the sizes in between.
func rewriteCommandFile(_ path: String, _ text: String, mode: FileMode = 0o644) throws(StoreError) {
  let previous = try? Syscall.stat(path)
  let replacing = previous != nil
  let old = previous ?? FileStatus()
  do throws(SystemCallError) {
    let file = try AtomicFile(path: path, mode: mode)
    try file.buffer.append(text)
    try file.buffer.flush()
    if replacing, let written = try? Syscall.fstat(file.buffer.fd, path: file.temporaryPath),
       written.st_mtim.tv_sec <= old.st_mtim.tv_sec {
      let time = TimeSpec(tv_sec: old.st_mtim.tv_sec + 1, tv_nsec: 0)
      try Syscall.futimens(file.buffer.fd, access: time, modification: time, path: file.temporaryPath)
    }
    try file.commit()
  } catch {
    throw .system(error)
  }
}
