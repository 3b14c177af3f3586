import Glibc

extension Syscall {
  /// `O_DIRECT`, whose value differs by architecture (Glibc's Swift module does not export it).
  #if arch(x86_64) || arch(i386)
  package static let directIOFlag: Int32 = 0o40000
  #elseif arch(arm64) || arch(arm)
  package static let directIOFlag: Int32 = 0o200000
  #else
  package static let directIOFlag: Int32 = 0
  #endif

  /// Turns `O_DIRECT` on or off for `fd` (`fcntl F_SETFL`); false when the file system refuses.
  package static func setDirectIO(_ fd: Int32, _ on: Bool) -> Bool {
    guard directIOFlag != 0 else { return false }
    let flags = fcntl(fd, F_GETFL)
    guard flags >= 0 else { return false }
    return fcntl(fd, F_SETFL, on ? flags | directIOFlag : flags & ~directIOFlag) == 0
  }
}
