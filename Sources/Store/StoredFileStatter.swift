import SystemCalls

/// `lstat` of a loadset's stored files relative to an open directory: the file root is opened
/// once, and the last few directories are kept open, so each file costs one `fstatat` of its
/// base name instead of a walk of the whole `STORE/file/NAME/./usr/...` path. Transcripts list a
/// directory's files together, but in radmind's order a directory's files come before and after
/// its subdirectories' (`d/a`, `d/b/x`, `d/c`), so the parent is still open when its turn comes back.
struct StoredFileStatter {
  /// At most this many directories open at once (bounded, whatever the tree's depth).
  static let openDirectories = 8
  private var rootFD: Int32
  /// The open directories, the last used first.
  private var directories: [(path: ArraySlice<UInt8>, fd: Int32)] = []

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
    guard !base.isEmpty, let parentFD = open(directory) else { return nil }
    return try? Syscall.fstatat(parentFD, base)
  }

  /// The open directory `directory` (relative to the root), opened if not kept open already.
  private mutating func open(_ directory: ArraySlice<UInt8>) -> Int32? {
    if let i = directories.firstIndex(where: { $0.path == directory }) {
      if i > 0 { directories.insert(directories.remove(at: i), at: 0) }
      return directories[0].fd
    }
    let relative = directory.drop(while: { $0 == 0x2F })
    let fd = relative.isEmpty ? ((try? Syscall.dup(rootFD, path: [])) ?? -1)
      : ((try? Syscall.openat(rootFD, Array(relative), [.readOnly, .directory])) ?? -1)
    guard fd >= 0 else { return nil }
    if directories.count == StoredFileStatter.openDirectories { Syscall.closeQuietly(directories.removeLast().fd) }
    directories.insert((directory, fd), at: 0)
    return fd
  }

  mutating func release() {
    for d in directories { Syscall.closeQuietly(d.fd) }
    directories = []
    if rootFD >= 0 { Syscall.closeQuietly(rootFD) }
    rootFD = -1
  }
}
