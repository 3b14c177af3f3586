import Foundation
import StoreTestSupport

/// One run of the built `loadsmith` under `timeout`, its output captured in files (so a chatty
/// command cannot deadlock on a full pipe), classified for the soak invariants.
struct SoakRun {
  var args: [String]
  var status: Int32
  var signaled: Bool
  var out: String
  var err: String

  /// `timeout` exits 124 when the command outlived its limit (SIGKILL, 137, if it ignored SIGTERM).
  var hung: Bool { signaled ? status == SIGKILL : (status == 124 || status == 137) }
  var killedByFault: Bool { !signaled && status == 86 }
  /// A signal other than our injected `_exit(86)`, or a Swift runtime trap on stderr.
  var crashed: Bool {
    !hung && (signaled || (status >= 128 && status != 255))
      || ["Fatal error", "Stack dump", "backtrace", "Illegal instruction", "Segmentation fault", "💣"].contains { err.contains($0) }
  }

  var commandLine: String { "loadsmith " + args.map(SoakText.shellQuoted).joined(separator: " ") }
  var summary: String { "\(commandLine) -> exit \(signaled ? "signal \(status)" : String(status)): \(SoakText.clip(err + out))" }
}

enum SoakProcess {
  /// Seconds before a command counts as hung (`LOADSMITH_SOAK_TIMEOUT`, default 60: the machine is shared).
  static let timeout: Int = ProcessInfo.processInfo.environment["LOADSMITH_SOAK_TIMEOUT"].flatMap(Int.init) ?? 60

  static func run(_ args: [String], store: String, env: [String: String] = [:], scratch: String) throws -> SoakRun {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
    p.arguments = ["-k", "5", String(timeout), CLI.binary] + CLI.acceptingUnsigned(args, env: env)
    var environment = ProcessInfo.processInfo.environment
    for key in ["LOADSMITH_FAULT", "LOADSMITH_FAULT_TRACE", "LOADSMITH_STORE"] { environment.removeValue(forKey: key) }
    environment["LOADSMITH_STORE"] = store
    for (k, v) in env { environment[k] = v }
    p.environment = environment
    let outPath = scratch + "/.out", errPath = scratch + "/.err"
    FileManager.default.createFile(atPath: outPath, contents: nil)
    FileManager.default.createFile(atPath: errPath, contents: nil)
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    defer { try? out.close(); try? err.close() }
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    let o = FileManager.default.contents(atPath: outPath) ?? Data()
    let e = FileManager.default.contents(atPath: errPath) ?? Data()
    return SoakRun(
      args: args, status: p.terminationStatus, signaled: p.terminationReason == .uncaughtSignal,
      out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
  }

  /// `/bin/sh -c` for copying and damaging (paths the harness made: ASCII, quoted).
  @discardableResult
  static func sh(_ command: String) throws -> CLI.Result { try CLI.sh(command) }
}

enum SoakText {
  static func shellQuoted(_ s: String) -> String {
    if !s.isEmpty && s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_./@=,:".contains($0)) }) { return s }
    return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }

  static func clip(_ s: String, _ limit: Int = 400) -> String {
    let flat = s.replacingOccurrences(of: "\n", with: " | ")
    return flat.count <= limit ? flat : String(flat.prefix(limit)) + "…"
  }

  /// Bytes shown safely: printable ASCII as is, everything else `\xNN`.
  static func show(_ bytes: [UInt8]) -> String {
    bytes.map { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") ? String(UnicodeScalar($0)) : String(format: "\\x%02x", $0) }.joined()
  }
}
