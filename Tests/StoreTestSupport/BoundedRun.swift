import Foundation

extension CLI {
  /// Exit status of a run that `timeout` had to kill: a hang.
  public static let hung: Int32 = 124

  /// ``run(_:store:env:)`` bounded by `seconds` (coreutils `timeout`: SIGTERM, then SIGKILL 5 s
  /// later): a command that blocks (on a FIFO, say) fails the test with status ``hung`` instead
  /// of hanging it.
  @discardableResult
  public static func runBounded(_ args: [String], store: String, seconds: Int = 30) throws -> Result {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
    p.arguments = ["-k", "5", String(seconds), binary] + acceptingUnsigned(args)
    var environment = ProcessInfo.processInfo.environment
    environment.removeValue(forKey: "LOADSMITH_FAULT")
    environment.removeValue(forKey: "LOADSMITH_FAULT_TRACE")
    environment["LOADSMITH_STORE"] = store
    p.environment = environment
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    // timeout(1) exits 124 when it had to stop the command; a signal that ended timeout itself
    // (the SIGKILL stage) is a hang too.
    let status = p.terminationReason == .uncaughtSignal ? hung : p.terminationStatus
    return Result(status: status, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
  }
}
