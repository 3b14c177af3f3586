import SystemCalls
import ArgumentParser
import TranscriptIO

/// `--progress` / `--no-progress`, for the commands that can run for minutes (capture, build,
/// archive, release, restore, verify, dsl verify, prune).
struct ProgressOptions: ParsableArguments {
  @Flag(inversion: .prefixedNo, help: "Show a progress line on standard error (default: only when it is a terminal).")
  var progress: Bool?

  /// Whether the line is shown: as asked, else when standard error is a terminal.
  var enabled: Bool { progress ?? Syscall.isTerminal(2) }

  /// Starts the progress line on standard error when it is enabled; the work's phases draw and clear it.
  func start() {
    if enabled { WorkProgress.show(on: 2) }
  }
}
