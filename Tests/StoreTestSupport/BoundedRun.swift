import Foundation

extension CLI {
  /// Exit status of a run that `timeout` had to kill: a hang.
  public static let hung: Int32 = 124

  /// ``run(_:store:env:)`` bounded by `seconds` (coreutils `timeout`: SIGTERM, then SIGKILL 5 s
  /// later): a command that blocks (on a FIFO, say) fails the test with status ``hung`` instead
  /// of hanging it.
  @discardableResult
  public static func runBounded(_ args: [String], store: String, seconds: Int = 30) throws -> Result {
    try launch(args, store: store, env: [:], timeout: seconds)
  }
}
