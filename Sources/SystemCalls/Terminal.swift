#if canImport(Glibc)
import Glibc
#endif

/// What a progress line needs from the terminal and the clock.
extension Syscall {
  /// The terminal's width in columns (`TIOCGWINSZ`), or nil when `fd` is not a terminal.
  package static func terminalWidth(_ fd: Int32) -> Int? {
    var size = winsize()
    if ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
    return nil
  }

  /// Writes all of `bytes` to `fd`, retrying on EINTR; stops quietly at any other error (a
  /// progress line must never end the work it reports on).
  package static func writeAllQuietly(_ fd: Int32, _ bytes: [UInt8]) {
    bytes.withUnsafeBytes { raw in
      var done = 0
      while done < raw.count {
        let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
        if n < 0 { if Glibc.errno == EINTR { continue }; return }
        done += n
      }
    }
  }

  /// Seconds on `CLOCK_MONOTONIC`: for intervals, never for dates.
  package static func monotonicSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
  }
}
