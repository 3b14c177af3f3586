#if canImport(Glibc)
import Glibc
#endif

/// Signal handling for cleanup on interrupt, and the async-signal-safe calls a handler may make.
extension Syscall {
  /// The signals that end a run and should clean up first: SIGINT, SIGTERM, SIGHUP, SIGPIPE.
  package static let terminatingSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGPIPE]

  /// Installs `handler` for `signal`.
  package static func handle(_ signal: Int32, _ handler: @convention(c) (Int32) -> Void) {
    _ = Glibc.signal(signal, handler)
  }

  /// Restores the default action for `signal` and raises it: the process dies of it.
  package static func dieOf(_ signal: Int32) {
    _ = Glibc.signal(signal, SIG_DFL)
    _ = Glibc.raise(signal)
  }

  /// Removes a file or, failing that, an empty directory, by a C string: safe inside a signal handler.
  package static func removeFromSignalHandler(_ path: UnsafePointer<CChar>) {
    if Glibc.unlink(path) != 0 { _ = Glibc.rmdir(path) }
  }

  /// `_exit(2)`: leaves at once, without flushing, unlinking or running atexit (fault injection).
  package static func exitNow(_ status: Int32) -> Never { Glibc._exit(status) }
}
