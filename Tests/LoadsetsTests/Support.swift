#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A scratch directory removed when the value is dropped.
final class Scratch {
  let path: String
  init() {
    var template = Array("/tmp/loadsets-test.XXXXXX".utf8CString)
    path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
  }
  deinit { _ = try? FileManager.default.removeItem(atPath: path) }

  func url(_ rel: String) -> String { path + "/" + rel }

  func write(_ rel: String, _ text: String, mode: mode_t = 0o644) {
    let full = url(rel)
    try? FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                             withIntermediateDirectories: true)
    FileManager.default.createFile(atPath: full, contents: Data(text.utf8))
    chmod(full, mode)
  }

  func mkdir(_ rel: String) {
    try? FileManager.default.createDirectory(atPath: url(rel), withIntermediateDirectories: true)
  }

  func read(_ rel: String) -> String? {
    guard let d = FileManager.default.contents(atPath: url(rel)) else { return nil }
    return String(decoding: d, as: UTF8.self)
  }

  func exists(_ rel: String) -> Bool {
    var st = stat()
    return lstat(url(rel), &st) == 0
  }

  func links(_ rel: String) -> Int {
    var st = stat()
    return lstat(url(rel), &st) == 0 ? Int(st.st_nlink) : 0
  }

  /// Every path below `rel` (relative, sorted), directories marked with a trailing "/".
  func listing(_ rel: String) -> [String] {
    guard let e = FileManager.default.enumerator(atPath: url(rel)) else { return [] }
    var out: [String] = []
    while let p = e.nextObject() as? String {
      var isDir: ObjCBool = false
      FileManager.default.fileExists(atPath: url(rel) + "/" + p, isDirectory: &isDir)
      out.append(isDir.boolValue ? p + "/" : p)
    }
    return out.sorted()
  }

  func entries(_ rel: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: url(rel))) ?? []).sorted()
  }
}

/// A transcript line in fsdiff's layout for a file.
func fline(_ path: String, size: Int, sum: String, mode: String = "0644", mtime: Int = 1600000000) -> String {
  let pad = String(repeating: " ", count: max(0, 37 - path.count))
  let s = String(size), m = String(mtime)
  return "f \(path)\(pad)\t\(mode)     0     0 \(String(repeating: " ", count: max(0, 9 - m.count)))\(m) \(String(repeating: " ", count: max(0, 7 - s.count)))\(s) \(sum)\n"
}

func dline(_ path: String, mode: String = "0755") -> String {
  let pad = String(repeating: " ", count: max(0, 37 - path.count))
  return "d \(path)\(pad)\t\(mode)     0     0\n"
}

/// The loadsmith binary next to the test bundle's build products, if built.
func loadsmithBinary() -> String? {
  let here = URL(fileURLWithPath: #filePath)
  let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  for config in ["debug", "release"] {
    let p = root.appendingPathComponent(".build/\(config)/loadsmith").path
    if FileManager.default.isExecutableFile(atPath: p) { return p }
  }
  return nil
}

/// Runs a program; returns its exit status (or 128 + signal), standard output and error.
func runProgram(_ argv: [String], cwd: String, environment: [String: String] = [:]) -> (status: Int32, out: String, err: String) {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: argv[0])
  p.arguments = Array(argv.dropFirst())
  p.currentDirectoryURL = URL(fileURLWithPath: cwd)
  var env = ProcessInfo.processInfo.environment
  for (k, v) in environment { env[k] = v }
  p.environment = env
  let out = Pipe(), err = Pipe()
  p.standardOutput = out
  p.standardError = err
  try? p.run()
  let o = out.fileHandleForReading.readDataToEndOfFile()
  let e = err.fileHandleForReading.readDataToEndOfFile()
  p.waitUntilExit()
  return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}
