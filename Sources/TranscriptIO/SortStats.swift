import Synchronization
import SystemCalls

/// With `LOADSMITH_SORT_STATS=1`, lsort adds up the CPU seconds its threads spend sorting chunks,
/// writing runs and merging, and prints them on standard error at the end: figures that other
/// load on the machine disturbs far less than wall time. Off (the default), a phase costs one branch.
enum SortStats {
  enum Phase: Int, CaseIterable {
    case sortChunks, spillRuns, finalMerge
    var name: String { ["sorting chunks", "writing runs", "final merge"][rawValue] }
  }

  static let enabled = Syscall.environment("LOADSMITH_SORT_STATS") == "1"
  /// Microseconds per phase, summed over threads.
  static let micros = Mutex<[Int]>([Int](repeating: 0, count: Phase.allCases.count))

  /// Runs `body` and adds the calling thread's CPU time to `phase`.
  @inline(__always)
  static func timed<T, E: Error>(_ phase: Phase, _ body: () throws(E) -> T) throws(E) -> T {
    guard enabled else { return try body() }
    let start = Syscall.threadCPUSeconds()
    defer {
      let spent = Int((Syscall.threadCPUSeconds() - start) * 1e6)
      micros.withLock { $0[phase.rawValue] += spent }
    }
    return try body()
  }

  static func report() {
    guard enabled else { return }
    let m = micros.withLock { $0 }
    var text = "sort stats (CPU seconds):"
    for phase in Phase.allCases { text += " \(phase.name) \(Double(m[phase.rawValue]) / 1e6);" }
    Syscall.writeAllQuietly(2, Array((text + "\n").utf8))
  }
}
