import Foundation
import Testing

/// Runs the freshly built `loadsmith` and manages scratch stores and DSLs: shared by the store,
/// library and conformance tests.
public enum CLI {
  public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
  public static let fixtures = packageRoot.appendingPathComponent("fixtures/staging").path

  public static let binary: String = {
    var exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    if let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
      exe = URL(fileURLWithPath: link)
    }
    var dir = exe.deletingLastPathComponent()
    while dir.path != "/" {
      let candidate = dir.appendingPathComponent("loadsmith")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
      dir = dir.deletingLastPathComponent()
    }
    return "loadsmith"
  }()

  public struct Result {
    public var status: Int32
    public var out: String
    public var err: String
  }

  @discardableResult
  public static func run(_ args: [String], store: String? = nil, env: [String: String] = [:]) throws -> Result {
    try launch(args, store: store, env: env, timeout: nil)
  }

  /// Runs the binary (under coreutils `timeout -k 5 SECONDS` when `timeout` is given) with the
  /// store in `$LOADSMITH_STORE`, no fault injection, no standard input; the one process runner.
  static func launch(_ args: [String], store: String?, env: [String: String], timeout: Int?) throws -> Result {
    let p = Process()
    if let timeout {
      p.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
      p.arguments = ["-k", "5", String(timeout), binary] + acceptingUnsigned(args, env: env)
    } else {
      p.executableURL = URL(fileURLWithPath: binary)
      p.arguments = acceptingUnsigned(args, env: env)
    }
    var environment = ProcessInfo.processInfo.environment
    environment.removeValue(forKey: "LOADSMITH_FAULT")
    environment.removeValue(forKey: "LOADSMITH_FAULT_TRACE")
    if let store { environment["LOADSMITH_STORE"] = store }
    for (k, v) in env { environment[k] = v }
    p.environment = environment
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    closePipes(out, err)
    // timeout(1) exits 124 when it had to stop the command; a signal that ended timeout itself
    // (the SIGKILL stage) is a hang too.
    let status = timeout != nil && p.terminationReason == .uncaughtSignal ? hung : p.terminationStatus
    return Result(status: status, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
  }

  /// Runs and expects exit 0.
  @discardableResult
  public static func ok(_ args: [String], store: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    let r = try run(args, store: store)
    #expect(r.status == 0, "loadsmith \(args.joined(separator: " ")): \(r.err)\(r.out)", sourceLocation: sourceLocation)
    return r.out
  }

  public static func shell(_ command: String) throws {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", command]
    try p.run()
    p.waitUntilExit()
  }

  /// A new scratch directory holding `staging/` (a copy of fixtures/staging) and an initialized `store/`.
  public static func scratch(_ label: String) throws -> (dir: String, staging: String, store: String) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loadsmith-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try shell("cp -R '\(fixtures)' '\(dir)/staging'")
    let store = dir + "/store"
    try ok(["init", store], store: store)
    return (dir, dir + "/staging", store)
  }

  public static func remove(_ dir: String) { try? FileManager.default.removeItem(atPath: dir) }

  /// What a client could observe: published transcripts and pointers, file-directory entries,
  /// command files, last-known-good (no timestamps or metadata).
  public static func signature(_ store: String) throws -> String {
    var out: [String] = []
    let fm = FileManager.default
    for dir in ["transcript", "file", "command", ".loadsmith/lkg"] {
      for name in try fm.contentsOfDirectory(atPath: store + "/" + dir).sorted() {
        let path = store + "/" + dir + "/" + name
        if let target = try? fm.destinationOfSymbolicLink(atPath: path) {
          out.append("\(dir)/\(name) -> \(target)")
        } else if dir == "command" || dir == ".loadsmith/lkg" || dir == "transcript" {
          out.append("\(dir)/\(name): \(String(decoding: fm.contents(atPath: path) ?? Data(), as: UTF8.self))")
        } else {
          out.append("\(dir)/\(name)")
        }
      }
    }
    return out.joined(separator: "\n")
  }

  /// Every file below `store` with its contents' hash (for "store unchanged").
  public static func fullSnapshot(_ store: String) throws -> [String: String] {
    var out: [String: String] = [:]
    let fm = FileManager.default
    guard let e = fm.enumerator(atPath: store) else { return out }
    for case let rel as String in e {
      let path = store + "/" + rel
      if let target = try? fm.destinationOfSymbolicLink(atPath: path) {
        out[rel] = "-> " + target
      } else if let data = fm.contents(atPath: path) {
        out[rel] = data.base64EncodedString()  // every byte: Data.hashValue only covers the first 80
      } else {
        out[rel] = "dir"
      }
    }
    return out
  }

  /// Runs a shell command and returns its status and output.
  @discardableResult
  public static func sh(_ command: String) throws -> Result {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", command]
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    closePipes(out, err)
    return Result(status: p.terminationStatus, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
  }

  /// Every entry below `root`: kind, mode, size and path, then each file's sha1 (for "identical").
  public static func tree(_ root: String) throws -> String {
    try sh("cd '\(root)' && find . -mindepth 1 -printf '%y %m %s %p\\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha1sum").out
  }
}
