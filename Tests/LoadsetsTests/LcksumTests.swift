import Glibc
import Hashing
import StoreTestSupport
import Testing
import TranscriptIO
@testable import Loadsets

/// A radmind server tree in a scratch directory: `transcript/NAME`, `file/NAME/...`.
final class Server {
  let scratch = Scratch("lcksum")
  var root: String { scratch.path }
  init() {
    scratch.mkdir("transcript")
    scratch.mkdir("file")
  }

  func write(_ relative: String, _ bytes: [UInt8], mtime: Int? = nil) {
    let full = root + "/" + relative
    // mkdir -p of the parent, without a shell per file.
    var prefix = ""
    for part in relative.split(separator: "/").dropLast() {
      prefix += "/" + part
      mkdir(root + prefix, 0o755)
    }
    let fd = open(full, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    precondition(fd >= 0, full)
    bytes.withUnsafeBytes { _ = Glibc.write(fd, $0.baseAddress, $0.count) }
    close(fd)
    if let mtime {
      var times = [timespec(tv_sec: mtime, tv_nsec: 0), timespec(tv_sec: mtime, tv_nsec: 0)]
      utimensat(AT_FDCWD, full, &times, 0)
    }
  }

  func write(_ relative: String, _ text: String, mtime: Int? = nil) { write(relative, Array(text.utf8), mtime: mtime) }

  func read(_ relative: String) -> [UInt8] {
    let fd = open(root + "/" + relative, O_RDONLY)
    guard fd >= 0 else { return [] }
    defer { close(fd) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      if n <= 0 { break }
      out += buf[0..<n]
    }
    return out
  }

  func text(_ relative: String) -> String { String(decoding: read(relative), as: UTF8.self) }

  func inode(_ relative: String) -> UInt {
    var st = stat()
    stat(root + "/" + relative, &st)
    return UInt(st.st_ino)
  }

  /// Names in `transcript/` (to see that no temporary file was left behind).
  func transcriptDirectory() -> [String] {
    guard let d = opendir(root + "/transcript") else { return [] }
    defer { closedir(d) }
    var names: [String] = []
    while let e = readdir(d) {
      let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
  }

  struct Outcome {
    var status: Int32
    var out: String
    var err: String
  }

  /// Runs lcksum with stdout and stderr captured.
  func lcksum(_ transcripts: [String], digest: String = "sha1", threads: Int = 2,
              configure: (inout LcksumOptions) -> Void = { _ in }) -> Outcome {
    var options = LcksumOptions(digest: try! DigestAlgorithm(named: digest))
    options.radmindDirectory = root
    options.transcripts = transcripts.map { root + "/transcript/" + $0 }
    options.threads = threads
    configure(&options)
    let outPath = root + "/.stdout", errPath = root + "/.stderr"
    let outFD = open(outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let errFD = open(errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let output = ToolOutput(stdout: OutputBuffer(fd: outFD), stderrFD: errFD)
    let status = Loadsets.lcksum(options, output: output)
    output.flush()
    close(outFD); close(errFD)
    defer { unlink(outPath); unlink(errPath) }
    return Outcome(status: status, out: text(".stdout"), err: text(".stderr"))
  }
}

let helloSHA1 = "9XLTlvrpIGYocU+yzgD3LpTyJY8="

/// A transcript line in fsdiff's layout (path padded to 37, TAB).
func fline(_ path: String, size: Int, checksum: String, mode: String = "0644", mtime: Int = 1_600_000_000) -> String {
  let padded = path.count < 37 ? path + String(repeating: " ", count: 37 - path.count) : path
  let m = String(repeating: " ", count: max(0, 4 - mode.count)) + mode
  let t = String(mtime), s = String(size)
  return "f \(padded)\t\(m)     0     0 \(String(repeating: " ", count: max(0, 9 - t.count)))\(t) \(String(repeating: " ", count: max(0, 7 - s.count)))\(s) \(checksum)\n"
}

struct LcksumVerifyTests {
  @Test("a transcript whose files all match is verified (exit 0)")
  func verified() {
    let s = Server()
    s.write("file/a.T/etc/motd", "hello\n")
    s.write("transcript/a.T", "d /etc 0755 0 0\n" + fline("/etc/motd", size: 6, checksum: helloSHA1))
    let r = s.lcksum(["a.T"]) { $0.verifyOnly = true }
    #expect(r.status == 0)
    #expect(r.out == "a.T: verified\n")
    #expect(r.err == "")
  }

  @Test("a missing stored file: radmind's open message, exit 2, transcript unchanged")
  func missingFile() {
    let s = Server()
    let t = "d /etc 0755 0 0\n" + fline("/etc/motd", size: 6, checksum: helloSHA1)
    s.write("transcript/a.T", t)
    for verify in [true, false] {
      let r = s.lcksum(["a.T"]) { $0.verifyOnly = verify }
      #expect(r.status == 2)
      #expect(r.err == "line 2: open /etc/motd: No such file or directory\n")
      #expect(r.out == "")
      #expect(s.text("transcript/a.T") == t)
      #expect(s.transcriptDirectory() == ["a.T"])
    }
  }

  @Test("an unreadable stored file (a directory) is reported with the stored path and errno")
  func unreadableFile() {
    let s = Server()
    mkdir(s.root + "/file", 0o755)
    _ = system("mkdir -p '\(s.root)/file/a.T/etc/motd'")
    let t = fline("/etc/motd", size: 6, checksum: helloSHA1)
    s.write("transcript/a.T", t)
    let r = s.lcksum(["a.T"])
    #expect(r.status == 2)
    #expect(r.err == "line 1: \(s.root)/file/a.T//etc/motd: Is a directory\n")
    #expect(s.text("transcript/a.T") == t)
    #expect(s.transcriptDirectory() == ["a.T"])
  }

  @Test("an unsorted transcript stops at the line with 'bad sort order'; nothing is written")
  func unsorted() {
    let s = Server()
    s.write("file/a.T/etc/motd", "changed!\n")
    s.write("file/a.T/etc/a", "hello\n")
    let t = fline("/etc/motd", size: 6, checksum: helloSHA1) + fline("/etc/a", size: 6, checksum: helloSHA1)
    s.write("transcript/a.T", t)
    let inode = s.inode("transcript/a.T")
    let r = s.lcksum(["a.T"])
    #expect(r.status == 2)
    #expect(r.err == "line 2: bad sort order\n")
    // The first line's update message was printed before the error, as radmind does.
    #expect(r.out == "/etc/motd: size updated\n/etc/motd: checksum updated\n")
    #expect(s.text("transcript/a.T") == t)
    #expect(s.inode("transcript/a.T") == inode)
    #expect(s.transcriptDirectory() == ["a.T"])
  }

  @Test("a duplicate path is out of order too")
  func duplicate() {
    let s = Server()
    s.write("transcript/a.T", "d /etc 0755 0 0\nd /etc 0755 0 0\n")
    #expect(s.lcksum(["a.T"]).err == "line 2: bad sort order\n")
  }

  @Test("malformed lines: radmind's messages, exit 2, transcript unchanged", arguments: [
    ("f /etc/motd 0644 0 0 1 6\n", "line 1: 7 arguments should be 8\n"),
    ("lonely\n", "line 1: invalid transcript line\n"),
    ("- f\n", "line 1: invalid transcript line\n"),
    ("f /etc/mo\\qtd 0644 0 0 1 6 x\n", "line 1: invalid escape in path (radmind knows only \\b \\t \\n \\r \\\\)\n"),
    ("f /etc/motd 0644 0 0 1 6 x", "TRANSCRIPT: 1: line too long\n"),
  ])
  func malformed(line: String, message: String) {
    let s = Server()
    s.write("file/a.T/etc/motd", "hello\n")
    s.write("transcript/a.T", line)
    let r = s.lcksum(["a.T"])
    #expect(r.status == 2)
    #expect(r.err == message.replacingTranscript(with: s.root + "/transcript/a.T"))
    #expect(s.text("transcript/a.T") == line)
    #expect(s.transcriptDirectory() == ["a.T"])
  }

  @Test("a stored file whose size is not what it yields (changing while read) is an error, not a checksum")
  func changingFile() {
    let s = Server()
    // /proc files report size 0 and then yield bytes: the same signal as a file that grew.
    _ = system("mkdir -p '\(s.root)/file/a.T/etc' && ln -s /proc/self/status '\(s.root)/file/a.T/etc/status'")
    let t = fline("/etc/status", size: 0, checksum: "-")
    s.write("transcript/a.T", t)
    let r = s.lcksum(["a.T"])
    #expect(r.status == 2)
    #expect(r.err.hasPrefix("line 1: \(s.root)/file/a.T//etc/status: file changed while being read (size 0, read "))
    #expect(s.text("transcript/a.T") == t)
    #expect(s.transcriptDirectory() == ["a.T"])
  }

  @Test("verify stops at the first incorrect transcript (exit 1)")
  func stopsAtFirstIncorrect() {
    let s = Server()
    s.write("file/a.T/x", "hello\n")
    s.write("file/b.T/x", "hello\n")
    s.write("transcript/a.T", fline("/x", size: 6, checksum: "wrong"))
    s.write("transcript/b.T", fline("/x", size: 6, checksum: helloSHA1))
    let r = s.lcksum(["a.T", "b.T"]) { $0.verifyOnly = true }
    #expect(r.status == 1)
    #expect(r.out == "line 1: /x: checksum wrong\na.T: incorrect\n")
  }

  @Test("-q prints nothing but keeps the exit status")
  func quiet() {
    let s = Server()
    s.write("file/a.T/x", "hello\n")
    s.write("transcript/a.T", fline("/x", size: 5, checksum: helloSHA1))
    let r = s.lcksum(["a.T"]) { $0.verifyOnly = true; $0.quiet = true }
    #expect(r.status == 1 && r.out == "" && r.err == "")
  }

  @Test("-P checks only lines under the prefix and warns when none matched")
  func prefixNotFound() {
    let s = Server()
    s.write("file/a.T/x", "hello\n")
    s.write("transcript/a.T", fline("/x", size: 6, checksum: helloSHA1))
    let r = s.lcksum(["a.T"]) { $0.verifyOnly = true; $0.prefix = Array("/usr".utf8) }
    #expect(r.status == 0)
    #expect(r.out == "warning: prefix \"/usr\" not found\na.T: verified\n")
  }
}

struct LcksumKeepGoingTests {
  @Test("-n -a reports every problem on its own line and exits with the first problem's status")
  func keepsGoing() {
    let s = Server()
    s.write("file/a.T/b", "hello\n")
    s.write("file/a.T/d", "hello\n")
    let t = fline("/a", size: 6, checksum: helloSHA1)      // missing
      + fline("/b", size: 6, checksum: "wrong")              // checksum wrong
      + "f /c 0644 0 0 1 6\n"                                // malformed
      + fline("/d", size: 6, checksum: helloSHA1)            // fine
      + fline("/e", size: 6, checksum: helloSHA1)            // missing
    s.write("transcript/a.T", t)
    let r = s.lcksum(["a.T"]) { $0.verifyOnly = true; $0.continueAfterErrors = true }
    #expect(r.status == 2)  // the first problem was a missing file: radmind exits 2 there
    #expect(r.err == """
      line 1: open /a: No such file or directory
      line 3: 7 arguments should be 8
      line 5: open /e: No such file or directory

      """)
    #expect(r.out == "line 2: /b: checksum wrong\na.T: incorrect\n")
  }

  @Test("-n -a whose first problem is a wrong checksum exits 1, and goes on to the next transcript")
  func firstProblemDecides() {
    let s = Server()
    s.write("file/a.T/b", "hello\n")
    s.write("file/b.T/b", "hello\n")
    s.write("transcript/a.T", fline("/b", size: 6, checksum: "wrong") + fline("/c", size: 1, checksum: "x"))
    s.write("transcript/b.T", fline("/b", size: 6, checksum: helloSHA1))
    let r = s.lcksum(["a.T", "b.T"]) { $0.verifyOnly = true; $0.continueAfterErrors = true }
    #expect(r.status == 1)
    #expect(r.err == "line 2: open /c: No such file or directory\n")
    #expect(r.out == "line 1: /b: checksum wrong\na.T: incorrect\nb.T: verified\n")
  }
}

struct LcksumUpdateTests {
  @Test("rewritten lines: space after the path padded to 37, tokens re-padded, radmind's mtime rule")
  func rewriteLayout() {
    let s = Server()
    s.write("file/a.T/etc/a", "hello\n", mtime: 1_650_000_000)
    s.write("file/a.T/etc/b", "hello\n", mtime: 1_650_000_000)
    s.write("file/a.T/etc/c", "hello\n", mtime: 1_650_000_000)
    s.write("transcript/a.T", """
      # a comment stays

      f /etc/a 644 0 0 1600000000 6 -
      f /etc/b 0644 10 20 1600000000 9 old=
      f /etc/c                               \t0644     0     0 1600000000       6 \(helloSHA1)
      - f /etc/d 0644 0 0 1 1 -

      """)
    let before = s.inode("transcript/a.T")
    let r = s.lcksum(["a.T"])
    #expect(r.status == 1)
    #expect(r.out == "/etc/a: checksum updated\n/etc/b: size updated\n/etc/b: checksum updated\na.T: updated\n")
    #expect(s.text("transcript/a.T") == """
      # a comment stays

      f /etc/a                                 644     0     0 1600000000       6 \(helloSHA1)
      f /etc/b                                0644    10    20 1650000000       6 \(helloSHA1)
      f /etc/c                               \t0644     0     0 1600000000       6 \(helloSHA1)
      - f /etc/d 0644 0 0 1 1 -

      """)
    #expect(s.inode("transcript/a.T") != before)  // replaced by rename
    #expect(s.transcriptDirectory() == ["a.T"])
  }

  @Test("nothing to change: verified, exit 0, same inode, no temporary file left")
  func unchanged() {
    let s = Server()
    s.write("file/a.T/x", "hello\n")
    s.write("transcript/a.T", fline("/x", size: 6, checksum: helloSHA1))
    let before = s.inode("transcript/a.T")
    let r = s.lcksum(["a.T"])
    #expect(r.status == 0 && r.out == "a.T: verified\n")
    #expect(s.inode("transcript/a.T") == before)
    #expect(s.transcriptDirectory() == ["a.T"])
  }

  @Test("md4 (known, not instantiable) writes an empty checksum with a trailing space")
  func md4Empty() {
    let s = Server()
    s.write("file/a.T/x", "hello\n")
    s.write("transcript/a.T", "f /x 0644 0 0 1 6 -\n")
    let r = s.lcksum(["a.T"], digest: "md4")
    #expect(r.status == 1)
    #expect(s.text("transcript/a.T") == "f /x                                    0644     0     0         1       6 \n")
  }

  @Test("thousands of lines hashed on several threads come out in transcript order", arguments: [0, 1, 2, 4])
  func manyFilesInOrder(threads: Int) {
    let s = Server()
    var t = "d /d 0755 0 0\n"
    var expectedOut = ""
    for i in 0..<1500 {
      let name = zeroPadded4(i)
      let content = String(repeating: "x", count: i % 300) + "\n"
      s.write("file/a.T/d/\(name)", content)
      let wrong = i % 7 == 0
      let sum = wrong ? "wrong" : sha1Base64(content)
      t += fline("/d/\(name)", size: content.utf8.count, checksum: sum)
      if wrong { expectedOut += "line \(i + 2): /d/\(name): checksum wrong\n" }
    }
    s.write("transcript/a.T", t)
    let r = s.lcksum(["a.T"], threads: threads) { $0.verifyOnly = true }
    #expect(r.status == 1)
    #expect(r.out == expectedOut + "a.T: incorrect\n")
  }
}

func zeroPadded4(_ i: Int) -> String {
  let s = String(i)
  return String(repeating: "0", count: max(0, 4 - s.count)) + s
}

func sha1Base64(_ text: String) -> String {
  let d = try! DigestAlgorithm(named: "sha1").makeDigester()
  d.reset()
  d.update(Array(text.utf8))
  return String(decoding: d.finalizeBase64(), as: UTF8.self)
}

extension String {
  func replacingTranscript(with path: String) -> String {
    let parts = self.split(separator: "TRANSCRIPT", omittingEmptySubsequences: false)
    return parts.joined(separator: path)
  }
}

struct HashFilesTests {
  @Test("hash prints '<base64>  <file>' in argument order and reports unreadable files")
  func hashCommand() {
    let s = Server()
    s.write("a", "hello\n")
    s.write("b", "")
    let outPath = s.root + "/.o", errPath = s.root + "/.e"
    let o = open(outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644), e = open(errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let status = hashFiles([s.root + "/a", s.root + "/missing", s.root + "/b"], output: ToolOutput(stdout: OutputBuffer(fd: o), stderrFD: e))
    close(o); close(e)
    #expect(status == 1)
    #expect(s.text(".o") == "\(helloSHA1)  \(s.root)/a\n2jmj7l5rSw0yVb/vlWAYkK/YBwk=  \(s.root)/b\n")
    #expect(s.text(".e") == "\(s.root)/missing: No such file or directory\n")
  }

  @Test("an unknown digest is exit 2 with radmind's message")
  func unknownDigest() {
    let s = Server()
    let e = open(s.root + "/.e", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let status = hashFiles(["x"], digestName: "nope", output: ToolOutput(stdout: OutputBuffer(fd: e), stderrFD: e))
    close(e)
    #expect(status == 2 && s.text(".e") == "nope: unsupported checksum\n")
  }
}
