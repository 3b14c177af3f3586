import Foundation
import StoreTestSupport
import Testing
@testable import Loadsets

/// `check` and `lcksum` never let a transcript path name a place outside its tree.
@Suite struct StorePathCheckTests {
  @Test("check reports '..', '.', empty components and a NUL in paths and h targets as FILE:LINE problems")
  func checkRefusesOutwardPaths() throws {
    let lines: [[UInt8]] = [
      Array("d / 0755 0 0".utf8),
      Array("f /../../../../../../etc/passwd 0644 0 0 1 2 -".utf8),
      Array("f /a/./b 0644 0 0 1 2 -".utf8),
      Array("h /b /../c".utf8),
      Array("f /c".utf8) + [0] + Array("d 0644 0 0 1 2 -".utf8),
      Array("f /d//e 0644 0 0 1 2 -".utf8),
      Array("l /e 0777 0 0 ../../var/log".utf8),  // symlink targets are free text
    ]
    let scratch = Scratch("check")
    defer { withExtendedLifetime(scratch) {} }  // the folder goes with it
    let path = scratch.write("t.T", Array(lines.joined(separator: [0x0A])) + [0x0A])
    var out: [String] = []
    let n = TranscriptChecker.check(path: path, caseInsensitive: false) { out.append($0) }
    #expect(out == [
      "\(path):2: path /../../../../../../etc/passwd has a '..' component",
      "\(path):3: path /a/./b has a '.' component",
      "\(path):4: hard link target /../c has a '..' component",
      "\(path):5: path /c\u{0}d contains a NUL byte",
      "\(path):6: path /d//e has an empty component",
    ])
    #expect(n == 5)
  }

  @Test("lcksum -n reports a path holding a NUL instead of checking the path cut at the NUL")
  func lcksumRefusesNUL() {
    let s = Server()
    s.write("file/a.T/etc/motd", "hello\n")
    // The cut path /etc/motd exists and matches: before the fix lcksum verified it.
    let line = Array(fline("/etc/motd", size: 6, checksum: helloSHA1).utf8)
    let withNUL = Array(line[..<11]) + [0] + Array("x".utf8) + Array(line[11...])
    s.write("transcript/a.T", Array("d /etc 0755 0 0\n".utf8) + withNUL)
    let r = s.lcksum(["a.T"]) { $0.verifyOnly = true }
    #expect(r.status != 0)
    #expect(r.err == "line 2: path contains a NUL byte\n")
    #expect(!r.out.contains("verified"))
  }
}
