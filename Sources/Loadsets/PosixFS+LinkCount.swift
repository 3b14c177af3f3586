#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension PosixFS {
  /// The number of hard links of the file at `path` (not following a final symlink); nil when
  /// it cannot be read (the link that follows reports why).
  static func linkCount(_ path: [UInt8]) -> UInt64? {
    var st = stat()
    guard withCPath(path, { lstat($0, &st) }) == 0 else { return nil }
    return UInt64(st.st_nlink)
  }
}
