import SystemCalls

/// `lstat` of a loadset's stored files relative to an open directory: the file root is opened
/// once, and the directory of the last file is kept open, so each file costs one `fstatat` of its
/// base name instead of a walk of the whole `STORE/file/NAME/./usr/...` path. Transcripts list a
/// directory's files together, so the kept directory changes about once per directory.
struct StoredFileStatter {
  private var rootFD: Int32
  private var parentFD: Int32 = -1
  private var parent: ArraySlice<UInt8> = []

  /// Opens `root` (a directory, not a symlink); `isOpen` is false when it is not one.
  init(root: String) {
    rootFD = (try? Syscall.open(root, [.readOnly, .directory, .noFollow])) ?? -1
  }

  var isOpen: Bool { rootFD >= 0 }

  /// `lstat` of the stored file at transcript path `path` (`./a/b`, or `/a/b`); nil when it
  /// cannot be reached (missing, or a component is not a directory).
  mutating func lstat(_ path: [UInt8]) -> FileStatus? {
    guard rootFD >= 0 else { return nil }
    let slash = path.lastIndex(of: 0x2F)
    let directory = slash.map { path[..<$0] } ?? []
    let base = slash.map { Array(path[($0 + 1)...]) } ?? path
    if parentFD < 0 || directory != parent {
      if parentFD >= 0 { Syscall.closeQuietly(parentFD) }
      parent = directory
      let relative = directory.drop(while: { $0 == 0x2F })
      parentFD = relative.isEmpty ? ((try? Syscall.dup(rootFD, path: [])) ?? -1)
        : ((try? Syscall.openat(rootFD, Array(relative), [.readOnly, .directory])) ?? -1)
    }
    guard parentFD >= 0, !base.isEmpty else { return nil }
    return try? Syscall.fstatat(parentFD, base)
  }

  mutating func release() {
    if parentFD >= 0 { Syscall.closeQuietly(parentFD) }
    if rootFD >= 0 { Syscall.closeQuietly(rootFD) }
    parentFD = -1
    rootFD = -1
  }
}
