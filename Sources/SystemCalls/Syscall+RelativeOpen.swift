#if canImport(Glibc)
import Glibc
#endif

extension OpenFlags {
  /// Linux `O_PATH`: a descriptor that only names a directory for `openat` (needs search
  /// permission on the path, not read permission on the directory itself).
  public static let pathOnly = OpenFlags(rawValue: 0o10000000)
}

extension Syscall {
  /// `openat(2)` of a C string relative to `dirfd`; `shown` is built only when the call fails.
  package static func openat(_ dirfd: Int32, cName: UnsafePointer<CChar>, _ flags: OpenFlags,
                            shown: @autoclosure () -> [UInt8]) throws(SystemCallError) -> Int32 {
    try retrying("open", shown()) { Glibc.openat(dirfd, cName, flags.rawValue | O_CLOEXEC, 0) }
  }
}
