import SystemCalls
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
package enum FaultInjection {
  package static let exitStatus: Int32 = 86
  static let state = Mutex<[String: Int]>([:])
  static let target: String? = Syscall.environment("LOADSMITH_FAULT")
  static let trace: String? = Syscall.environment("LOADSMITH_FAULT_TRACE")

  package static func checkpoint(_ step: String) {
    guard target != nil || trace != nil else { return }
    let n = state.withLock { counts -> Int in
      counts[step, default: 0] += 1
      return counts[step]!
    }
    let numbered = "\(step)#\(n)"
    if let trace {
      if let fd = try? Syscall.open(trace, [.writeOnly, .append, .create], mode: 0o644) {
        Syscall.writeAllQuietly(fd, Array((numbered + "\n").utf8))
        Syscall.closeQuietly(fd)
      }
    }
    if let target, target == numbered || (n == 1 && target == step) {
      Syscall.exitNow(exitStatus)
    }
  }
}
