#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

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
    rootFD = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
  }

  var isOpen: Bool { rootFD >= 0 }

  /// `lstat` of the stored file at transcript path `path` (`./a/b`, or `/a/b`); false when it
  /// cannot be reached (missing, or a component is not a directory).
  mutating func lstat(_ path: [UInt8], _ st: inout stat) -> Bool {
    guard rootFD >= 0 else { return false }
    let slash = path.lastIndex(of: 0x2F)
    let directory = slash.map { path[..<$0] } ?? []
    let base = slash.map { Array(path[($0 + 1)...]) } ?? path
    if parentFD < 0 || directory != parent {
      if parentFD >= 0 { _ = closeDescriptor(parentFD) }
      parent = directory
      let relative = directory.drop(while: { $0 == 0x2F })
      parentFD = relative.isEmpty ? dup(rootFD)
        : FileSystem.withCString(Array(relative), { openat(rootFD, $0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) })
    }
    guard parentFD >= 0, !base.isEmpty else { return false }
    return FileSystem.withCString(base, { fstatat(parentFD, $0, &st, AT_SYMLINK_NOFOLLOW) }) == 0
  }

  mutating func release() {
    if parentFD >= 0 { _ = closeDescriptor(parentFD) }
    if rootFD >= 0 { _ = closeDescriptor(rootFD) }
    parentFD = -1
    rootFD = -1
  }
}

private func closeDescriptor(_ fd: Int32) -> Int32 { close(fd) }
