import SystemCalls
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
          do { try Syscall.flock(fd, exclusive: true, path: lockPath) } catch { throw .system(error) }
          return
        }
      }
      Clock.sleep(microseconds: 20_000)
      if try attemptLock(fd) { return }
    }
  }

  private func attemptLock(_ fd: Int32) throws(StoreError) -> Bool {
    do { try Syscall.flock(fd, exclusive: true, nonBlocking: true, path: lockPath) } catch {
      if error.errno == Errno.wouldBlock { return false }
      throw .system(error)
    }
    return true
  }

  /// Who holds the lock on the file open as `fd`: the process `/proc/locks` names for its inode,
  /// with its command line; "another process" when that cannot be told.
  func lockHolder(_ fd: Int32) -> String {
    guard let st = try? Syscall.fstat(fd, path: lockPath), let text = try? RegularFile.readText("/proc/locks") else { return "another process" }
    let me = Syscall.processID
    for line in text.split(separator: "\n") {
      let f = line.split(separator: " ", omittingEmptySubsequences: true)
      // "1: FLOCK  ADVISORY  WRITE 11183 fe:00:16222050 0 EOF"
      guard f.count >= 6, f[1] == "FLOCK", let pid = Int32(f[4]), pid != me else { continue }
      let id = f[5].split(separator: ":")
      guard id.count == 3, UInt64(id[2]) == UInt64(st.st_ino),
            UInt64(id[0], radix: 16) == DeviceNumber.major(UInt64(st.st_dev)),
            UInt64(id[1], radix: 16) == DeviceNumber.minor(UInt64(st.st_dev)) else { continue }
      let command = (try? RegularFile.readText("/proc/\(pid)/cmdline"))?
        .split(separator: "\0").prefix(6).joined(separator: " ") ?? ""
      return command.isEmpty ? "PID \(pid)" : "PID \(pid): \(command)"
    }
    return "another process"
  }

  static func monotonicSeconds() -> Double {
    Syscall.monotonicSeconds()
  }

  static func seconds(_ s: Double) -> String {
    s == s.rounded() ? "\(Int(s)) s" : "\(s) s"
  }
}
