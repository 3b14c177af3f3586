#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import TranscriptIO

/// A writer that finds the store locked says so (once, after a short moment) and gives up after
/// ``LoadsetStore/lockTimeout`` seconds if one is set, instead of waiting silently for ever.
extension LoadsetStore {
  /// How long a writer waits quietly before it says that it waits.
  static let lockNoticeDelay = 1.0

  /// Takes the exclusive `flock` on `fd`, waiting as described above.
  func acquireLock(_ fd: Int32) throws(StoreError) {
    if try attemptLock(fd) { return }
    let start = LoadsetStore.monotonicSeconds()
    var told = false
    while true {
      let waited = LoadsetStore.monotonicSeconds() - start
      if let timeout = lockTimeout, waited >= timeout {
        throw StoreError(.store, "gave up after waiting \(LoadsetStore.seconds(timeout)) for the store lock \(lockPath) (held by \(lockHolder(fd)))")
      }
      if !told && waited >= min(LoadsetStore.lockNoticeDelay, lockTimeout ?? .infinity) {
        told = true
        let limit = lockTimeout.map { " for at most \(LoadsetStore.seconds($0))" } ?? " (no timeout: --lock-timeout or $LOADSMITH_LOCK_TIMEOUT sets one)"
        lockWaitNotice?("waiting for the store lock (held by \(lockHolder(fd)))\(limit)")
        if lockTimeout == nil {
          // Told once; from here the kernel wakes us when the holder is done.
          while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR { throw .system(SystemError("flock", path: lockPath)) }
          }
          return
        }
      }
      usleep(20_000)
      if try attemptLock(fd) { return }
    }
  }

  private func attemptLock(_ fd: Int32) throws(StoreError) -> Bool {
    if flock(fd, LOCK_EX | LOCK_NB) == 0 { return true }
    if errno == EWOULDBLOCK || errno == EINTR { return false }
    throw .system(SystemError("flock", path: lockPath))
  }

  /// Who holds the lock on the file open as `fd`: the process `/proc/locks` names for its inode,
  /// with its command line; "another process" when that cannot be told.
  func lockHolder(_ fd: Int32) -> String {
    var st = stat()
    guard fstat(fd, &st) == 0, let text = try? FileSystem.readSmallFile("/proc/locks") else { return "another process" }
    let me = getpid()
    for line in text.split(separator: "\n") {
      let f = line.split(separator: " ", omittingEmptySubsequences: true)
      // "1: FLOCK  ADVISORY  WRITE 11183 fe:00:16222050 0 EOF"
      guard f.count >= 6, f[1] == "FLOCK", let pid = Int32(f[4]), pid != me else { continue }
      let id = f[5].split(separator: ":")
      guard id.count == 3, UInt64(id[2]) == UInt64(st.st_ino),
            UInt64(id[0], radix: 16) == LoadsetStore.major(UInt64(st.st_dev)),
            UInt64(id[1], radix: 16) == LoadsetStore.minor(UInt64(st.st_dev)) else { continue }
      let command = (try? FileSystem.readSmallFile("/proc/\(pid)/cmdline"))?
        .split(separator: "\0").prefix(6).joined(separator: " ") ?? ""
      return command.isEmpty ? "PID \(pid)" : "PID \(pid): \(command)"
    }
    return "another process"
  }

  /// glibc's encoding of device numbers (`gnu_dev_major`/`minor` are macros Swift cannot call).
  static func major(_ dev: UInt64) -> UInt64 { ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfff) }
  static func minor(_ dev: UInt64) -> UInt64 { (dev & 0xff) | ((dev >> 12) & ~0xff) }

  static func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
  }

  static func seconds(_ s: Double) -> String {
    s == s.rounded() ? "\(Int(s)) s" : "\(s) s"
  }
}
