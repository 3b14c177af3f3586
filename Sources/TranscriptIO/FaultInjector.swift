import Synchronization
import SystemCalls

/// The one crash-test hook (the store's ``FaultInjection`` and lmerge's publish steps use it).
/// Each step boundary calls ``checkpoint(_:)`` with a step name; numbering makes each boundary
/// unique within one run: the second `publish.file` is `publish.file#2`.
///
/// - The target variable set to `STEP` (or `STEP#N`) ends the process with `_exit(86)` at that
///   boundary, as a power cut would: no cleanup handler, no buffered output, no unlock (the
///   kernel drops the flock).
/// - The trace variable, when there is one and it names a FILE, appends every boundary reached
///   to FILE, one per line, so a test can first learn a command's boundaries and then kill it at
///   each one.
///
/// With neither variable set a checkpoint costs one comparison.
package final class FaultInjector: Sendable {
  package static let exitStatus: Int32 = 86
  let target: String?
  let trace: String?
  let counts = Mutex<[String: Int]>([:])

  package init(variable: String, traceVariable: String? = nil) {
    target = Syscall.environment(variable)
    trace = traceVariable.flatMap { Syscall.environment($0) }
  }

  package func checkpoint(_ step: String) {
    guard target != nil || trace != nil else { return }
    let n = counts.withLock { counts -> Int in
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
      Syscall.exitNow(FaultInjector.exitStatus)
    }
  }
}
