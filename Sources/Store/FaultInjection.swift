#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// The crash-test hook. Every step boundary of a store change calls ``checkpoint(_:)`` with a
/// step name (`publish.file`, `pointer.transcript`, ...). Numbering makes each boundary unique
/// within one run: the second `publish.file` is `publish.file#2`.
///
/// - `LOADSMITH_FAULT=STEP` (or `STEP#N`) ends the process with `_exit(86)` at that boundary,
///   as a power cut would: no cleanup handler, no buffered output, no unlock (the kernel drops
///   the flock).
/// - `LOADSMITH_FAULT_TRACE=FILE` appends every boundary reached to FILE, one per line, so a
///   test can first learn a command's boundaries and then kill it at each one.
///
/// With neither variable set a checkpoint costs one dictionary-free integer increment.
public enum FaultInjection {
  public static let exitStatus: Int32 = 86
  static let state = Mutex<[String: Int]>([:])
  static let target: String? = getenv("LOADSMITH_FAULT").map { String(cString: $0) }
  static let trace: String? = getenv("LOADSMITH_FAULT_TRACE").map { String(cString: $0) }

  public static func checkpoint(_ step: String) {
    guard target != nil || trace != nil else { return }
    let n = state.withLock { counts -> Int in
      counts[step, default: 0] += 1
      return counts[step]!
    }
    let numbered = "\(step)#\(n)"
    if let trace {
      let fd = open(trace, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
      if fd >= 0 {
        let line = Array((numbered + "\n").utf8)
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        close(fd)
      }
    }
    if let target, target == numbered || (n == 1 && target == step) {
      _exit(exitStatus)
    }
  }
}
