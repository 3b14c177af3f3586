import SystemCalls
import Synchronization

/// Every temporary file or directory Loadsmith has created and not yet renamed into place, so that
/// an interrupted run (SIGINT, SIGTERM, SIGHUP) removes them before it dies.
///
/// The signal handler only reads a fixed table of C strings and calls `unlink`/`rmdir`, both
/// async-signal-safe. Temporary *directories* are removed only when empty; whole staged loadsets
/// are cleaned by the next run of the store instead.
public enum TemporaryFiles {
  static let capacity = 256
  nonisolated(unsafe) static let table: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = {
    let t = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: capacity)
    t.initialize(repeating: nil, count: capacity)
    return t
  }()
  static let lock = Mutex<Void>(())

  /// Remembers `path` for removal on interrupt; returns a slot for ``forget(_:)``.
  @discardableResult
  public static func register(_ path: String) -> Int { register(bytes: Array(path.utf8)) }

  /// Same for a path given as raw bytes.
  @discardableResult
  public static func register(bytes path: [UInt8]) -> Int {
    return lock.withLock { _ in
      for i in 0..<capacity where table[i] == nil {
        let copy = UnsafeMutablePointer<CChar>.allocate(capacity: path.count + 1)
        path.withUnsafeBytes { UnsafeMutableRawPointer(copy).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        copy[path.count] = 0
        table[i] = copy
        return i
      }
      return -1
    }
  }

  public static func forget(_ slot: Int) {
    guard slot >= 0 else { return }
    lock.withLock { _ in
      let p = table[slot]
      table[slot] = nil
      p?.deallocate()
    }
  }

  /// Removes every registered path. Called from the signal handler and before a fatal exit.
  public static func removeAll() {
    for i in 0..<capacity {
      if let p = table[i] { Syscall.removeFromSignalHandler(p) }
    }
  }

  /// Installs handlers that clean up and then die of the same signal.
  public static func installSignalHandlers() {
    for sig in Syscall.terminatingSignals {
      Syscall.handle(sig) { s in
        TemporaryFiles.removeAll()
        Syscall.dieOf(s)
      }
    }
  }
}
