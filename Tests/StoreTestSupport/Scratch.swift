import Foundation

/// A fresh directory under the temporary directory, removed when the value is dropped: the one
/// scratch-directory helper of every test target.
public final class Scratch {
  public let path: String

  public init(_ label: String = "test") {
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("loadsmith-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))").path
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    path = dir
  }

  deinit { _ = try? Processes.run(["/bin/rm", "-rf", path]) }

  public var bytes: [UInt8] { Array(path.utf8) }

  /// `path/relative`.
  public func url(_ relative: String) -> String { path + "/" + relative }

  /// Writes `bytes` to `relative` (parents made), with `mode`; returns the full path.
  @discardableResult
  public func write(_ relative: String, _ bytes: [UInt8], mode: Int = 0o644) -> String {
    let full = url(relative)
    try? FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                             withIntermediateDirectories: true)
    precondition(FileManager.default.createFile(atPath: full, contents: Data(bytes)), "cannot write \(full)")
    try? FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: full)
    return full
  }

  @discardableResult
  public func write(_ relative: String, _ text: String, mode: Int = 0o644) -> String {
    write(relative, Array(text.utf8), mode: mode)
  }

  public func mkdir(_ relative: String) {
    try? FileManager.default.createDirectory(atPath: url(relative), withIntermediateDirectories: true)
  }

  /// The file's text, or nil when it cannot be read.
  public func read(_ relative: String) -> String? {
    FileManager.default.contents(atPath: url(relative)).map { String(decoding: $0, as: UTF8.self) }
  }

  /// Runs `command` with `/bin/sh` inside the directory.
  @discardableResult
  public func sh(_ command: String) -> Processes.Outcome {
    (try? Processes.run(["/bin/sh", "-c", command], cwd: path)) ?? Processes.Outcome(status: -1, out: "", err: "sh failed to start")
  }
}

/// The one way tests run a program: exit status (128 + signal when killed), standard output and
/// standard error, standard input from /dev/null.
public enum Processes {
  public struct Outcome: Sendable {
    public var status: Int32
    public var out: String
    public var err: String
    public init(status: Int32, out: String, err: String) {
      self.status = status
      self.out = out
      self.err = err
    }
  }

  /// Runs `argv[0]` (a path) with the rest as arguments, in `cwd` when given, with `environment`
  /// added to the test's own.
  public static func run(_ argv: [String], cwd: String? = nil, environment: [String: String] = [:]) throws -> Outcome {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: argv[0])
    p.arguments = Array(argv.dropFirst())
    if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    p.environment = env
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    // Read both pipes at once: a child that fills one while we wait on the other would hang.
    let errorText = ErrorText()
    let done = DispatchSemaphore(value: 0)
    let errHandle = err.fileHandleForReading
    DispatchQueue.global().async { errorText.data = errHandle.readDataToEndOfFile(); done.signal() }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    done.wait()
    let e = errorText.data
    p.waitUntilExit()
    closePipes(out, err)
    let status = p.terminationReason == .uncaughtSignal ? 128 + p.terminationStatus : p.terminationStatus
    return Outcome(status: status, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
  }

  /// Whether an executable exists at `path` (for `.enabled(if:)` and `#require` on tools).
  public static func available(_ path: String) -> Bool { FileManager.default.isExecutableFile(atPath: path) }
}

/// Standard error, read on another thread while standard output is read here.
private final class ErrorText: @unchecked Sendable { var data = Data() }

/// Closes both read ends now, on this thread, instead of when the handles are deallocated:
/// Foundation's `Process` on Linux can otherwise race a deallocation-time close against another
/// test's `Process.run` (swiftlang/swift#57827: "Bad file descriptor" in `synchronizeFile`).
public func closePipes(_ pipes: Pipe...) {
  for pipe in pipes { try? pipe.fileHandleForReading.close() }
}
