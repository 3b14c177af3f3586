import SystemCalls

/// With `LOADSMITH_WAIT_STATS=1`, fsdiff's helpers count and time the moments a thread sleeps on
/// its monitor, by site, and print a summary on standard error when the walk ends: where a core
/// sat idle. Off (the default), a site costs one branch.
enum WaitStats {
  /// Where a thread waited.
  enum Site: Int, CaseIterable {
    case walkForChecksum, hasherIdle, walkForDirectory, listerIdle
    var name: String {
      switch self {
      case .walkForChecksum: return "walk waits for a checksum"
      case .hasherIdle: return "hasher has nothing to do"
      case .walkForDirectory: return "walk waits for a directory"
      case .listerIdle: return "lister has nothing to do"
      }
    }
  }

  static let enabled = Syscall.environment("LOADSMITH_WAIT_STATS") == "1"
  /// Count and seconds per site; each site is written by one thread under its monitor.
  nonisolated(unsafe) static var counts = [Int](repeating: 0, count: Site.allCases.count)
  nonisolated(unsafe) static var seconds = [Double](repeating: 0, count: Site.allCases.count)

  /// Runs `body` (a wait) and records how long it took at `site`.
  @inline(__always)
  static func timed(_ site: Site, _ body: () -> Void) {
    guard enabled else { return body() }
    let start = Syscall.monotonicSeconds()
    body()
    counts[site.rawValue] += 1
    seconds[site.rawValue] += Syscall.monotonicSeconds() - start
  }

  /// The summary, one line per site (called once the helpers are stopped).
  static func report() {
    guard enabled else { return }
    var text = ""
    for site in Site.allCases {
      let ms = Int(seconds[site.rawValue] * 1000)
      text += "wait: \(site.name): \(counts[site.rawValue]) times, \(ms) ms\n"
    }
    Syscall.writeAllQuietly(2, Array(text.utf8))
  }
}
