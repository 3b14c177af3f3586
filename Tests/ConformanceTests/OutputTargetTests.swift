import Foundation
import StoreTestSupport
import Testing

/// `lsort -o` and `fsdiff -o` write into what they are given, as radmind's do: a device or FIFO is
/// written into (never replaced by a file), a symlink is followed and the file it names replaced.
/// The device is made with mknod in a scratch directory, never /dev/null itself.
@Suite struct OutputTargetTests {
  static func scratch(_ label: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("out-\(label)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir + "/tree/sub", withIntermediateDirectories: true)
    try "f /b 0644 0 0 1 2 -\nf /a 0644 0 0 1 2 -\n".write(toFile: dir + "/in.T", atomically: false, encoding: .utf8)
    try "x\n".write(toFile: dir + "/tree/sub/file", atomically: false, encoding: .utf8)
    try "".write(toFile: dir + "/empty.K", atomically: false, encoding: .utf8)
    return dir
  }

  /// The two tools' runs writing to `target`, and what each writes to standard output instead.
  static func runs(_ dir: String, _ target: String) -> [(args: [String], expected: String)] {
    [(["lsort", "-o", target, dir + "/in.T"], "f /a 0644 0 0 1 2 -\nf /b 0644 0 0 1 2 -\n"),
     (["fsdiff", "-C", "-K", dir + "/empty.K", "-o", target, dir + "/tree"], "")]
  }

  /// Runs loadsmith with a time limit (a FIFO nobody reads must not hang the test): the exit
  /// status, or nil when it had to be killed.
  static func run(_ args: [String], seconds: Double = 30) throws -> Int32? {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: CLI.binary)
    p.arguments = args
    p.standardInput = FileHandle.nullDevice
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    let done = DispatchSemaphore(value: 0)
    p.terminationHandler = { _ in done.signal() }
    try p.run()
    if done.wait(timeout: .now() + seconds) == .timedOut {
      p.terminate()
      _ = done.wait(timeout: .now() + 5)
      return nil
    }
    return p.terminationStatus
  }

  /// Major 1, minor 3 in glibc's dev_t encoding (what `mknod c 1 3` makes).
  static let nullDevice = dev_t((1 << 8) | 3)

  static func lstatOf(_ path: String) -> stat? {
    var st = stat()
    return lstat(path, &st) == 0 ? st : nil
  }

  @Test("a character device (mknod c 1 3 in a scratch directory) stays a device")
  func characterDevice() throws {
    let dir = try Self.scratch("chr")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let node = dir + "/null"
    try #require(mknod(node, S_IFCHR | 0o666, Self.nullDevice) == 0, "mknod needs root: \(String(cString: strerror(errno)))")
    for (args, _) in Self.runs(dir, node) {
      #expect(try Self.run(args) == 0, "\(args)")
      let st = try #require(Self.lstatOf(node))
      #expect(st.st_mode & S_IFMT == S_IFCHR, "\(args[0]) replaced the device with something else")
      #expect(st.st_rdev == Self.nullDevice)
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["empty.K", "in.T", "null", "tree"])
  }

  @Test("a FIFO is written into, its reader gets the whole output, and nothing hangs")
  func fifo() throws {
    let dir = try Self.scratch("fifo")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let fifo = dir + "/fifo"
    try #require(mkfifo(fifo, 0o644) == 0)
    // A second name for the FIFO: if a tool replaced `fifo`, the reader is still released through it.
    try #require(link(fifo, dir + "/fifo-keep") == 0)
    for (args, expected) in Self.runs(dir, fifo) {
      let received = Received()
      let reader = Thread {
        let fd = open(dir + "/fifo-keep", O_RDONLY)
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while fd >= 0 {
          let n = read(fd, &buf, buf.count)
          if n <= 0 { break }
          bytes += buf[..<n]
        }
        if fd >= 0 { close(fd) }
        received.finish(bytes)
      }
      reader.start()
      #expect(try Self.run(args) == 0, "\(args)")
      if !received.wait(seconds: 10) {
        // The tool never wrote into the FIFO: release the reader so the thread ends.
        let fd = open(dir + "/fifo-keep", O_WRONLY | O_NONBLOCK)
        if fd >= 0 { close(fd) }
        _ = received.wait(seconds: 10)
        Issue.record("\(args[0]): the FIFO's reader got nothing")
      }
      #expect(String(decoding: received.bytes, as: UTF8.self) == (expected.isEmpty ? received.fsdiffText(dir) : expected))
      #expect(Self.lstatOf(fifo).map { $0.st_mode & S_IFMT } == S_IFIFO, "\(args[0]) replaced the FIFO")
    }
  }

  @Test("a symlink is followed: the file it names is replaced beside it, the link stays")
  func symlink() throws {
    let dir = try Self.scratch("link")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try FileManager.default.createDirectory(atPath: dir + "/other", withIntermediateDirectories: true)
    for (args, expected) in Self.runs(dir, dir + "/link.T") {
      try? FileManager.default.removeItem(atPath: dir + "/link.T")
      try "old\n".write(toFile: dir + "/other/real.T", atomically: false, encoding: .utf8)
      try #require(chmod(dir + "/other/real.T", 0o640) == 0)
      try FileManager.default.createSymbolicLink(atPath: dir + "/link.T", withDestinationPath: "other/real.T")
      #expect(try Self.run(args) == 0, "\(args)")
      #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/link.T") == "other/real.T")
      let text = try String(contentsOfFile: dir + "/other/real.T", encoding: .utf8)
      #expect(text == (expected.isEmpty ? Received().fsdiffText(dir) : expected), "\(args[0])")
      #expect(Self.lstatOf(dir + "/other/real.T").map { $0.st_mode & 0o7777 } == 0o640, "the file keeps its mode")
      #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/other") == ["real.T"])
    }
    // A dangling symlink: the file it names is created.
    try FileManager.default.removeItem(atPath: dir + "/other/real.T")
    #expect(try Self.run(Self.runs(dir, dir + "/link.T")[0].args) == 0)
    #expect(try String(contentsOfFile: dir + "/other/real.T", encoding: .utf8) == Self.runs(dir, "")[0].expected)
    #expect(FileManager.default.fileExists(atPath: dir + "/link.T"))
  }

  @Test("a regular file is still replaced atomically: a failed run leaves it as it was")
  func regularFile() throws {
    let dir = try Self.scratch("reg")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try "old\n".write(toFile: dir + "/out.T", atomically: false, encoding: .utf8)
    #expect(try Self.run(["fsdiff", "-C", "-K", dir + "/empty.K", "-o", dir + "/out.T", dir + "/no-such-tree"]) == 2)
    #expect(try String(contentsOfFile: dir + "/out.T", encoding: .utf8) == "old\n")
    #expect(try Self.run(["lsort", "-o", dir + "/out.T", dir + "/in.T"]) == 0)
    #expect(try String(contentsOfFile: dir + "/out.T", encoding: .utf8) == Self.runs(dir, "")[0].expected)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["empty.K", "in.T", "out.T", "tree"])
  }
}

/// What the FIFO's reader thread received.
final class Received: @unchecked Sendable {
  private let done = DispatchSemaphore(value: 0)
  private let lock = NSLock()
  private var data: [UInt8] = []
  var bytes: [UInt8] { lock.lock(); defer { lock.unlock() }; return data }
  func finish(_ b: [UInt8]) { lock.lock(); data = b; lock.unlock(); done.signal() }
  func wait(seconds: Double) -> Bool { done.wait(timeout: .now() + seconds) == .success }

  /// fsdiff -C of the scratch tree on standard output, for comparing with what -o received.
  func fsdiffText(_ dir: String) -> String {
    (try? CLI.run(["fsdiff", "-C", "-K", dir + "/empty.K", dir + "/tree"]).out) ?? "(fsdiff failed)"
  }
}
