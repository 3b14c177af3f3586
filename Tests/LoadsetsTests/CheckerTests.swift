import Foundation
import StoreTestSupport
import Testing
@testable import Loadsets

@Suite struct CheckerTests {
  /// Removed when the test ends (it was a UUID folder under /tmp, left behind by every run).
  let scratch = Scratch("check")

  func temp(_ name: String, _ bytes: [UInt8]) throws -> String { scratch.write(name, bytes) }

  func run(_ path: String) -> (Int, [String]) {
    var lines: [String] = []
    let n = TranscriptChecker.check(path: path, caseInsensitive: false) { lines.append($0) }
    return (n, lines)
  }

  @Test("every problem of a transcript is reported with its line, not just the first")
  func everyProblem() throws {
    let text = """
      d ./a 0755 0 0
      f ./a/x 0644 0 0 1 2 -
      f ./a/x 0644 0 0 1 2 -
      # a comment
      q ./a/y 0644 0 0
      f ./a/w 0644 0 0 1 2 -
      f ./b 0644 0 0 1
      d ./c\\qz 0755 0 0
      d ./\(String(repeating: "z", count: 4100)) 0755 0 0
      d ./zz 0755 0 0
      """
    let path = try temp("t.T", Array(text.utf8))  // no final newline
    let (n, lines) = run(path)
    #expect(lines == [
      "\(path):3: bad sort order (path not after the previous line's)",
      "\(path):5: unknown file type 'q'",
      "\(path):6: bad sort order (path not after the previous line's)",
      "\(path):7: expected 8 arguments, got 6",
      "\(path):8: invalid escape in path (radmind knows only \\b \\t \\n \\r \\\\)",
      "\(path):9: line too long (\(text.split(separator: "\n")[8].utf8.count) bytes, radmind reads at most 4094)",
      "\(path):9: path too long",
      "\(path):10: missing final newline (radmind's readers reject the line as too long)",
    ])
    #expect(n == lines.count)
  }

  @Test("a clean transcript has no problems; a missing file is one")
  func cleanAndMissing() throws {
    let path = try temp("ok.T", Array("d /a 0755 0 0\nd /a/b 0755 0 0\nd /a\\bb 0755 0 0\n".utf8))
    #expect(run(path).0 == 0)
    let (n, lines) = run(path + ".missing")
    #expect(n == 1)
    #expect(lines.first?.hasSuffix("cannot read: No such file or directory") == true)
  }

  @Test("large transcripts are checked in two halves: problems keep their line numbers, the seam is checked")
  func twoHalves() throws {
    var text = ""
    let count = 200_000  // ~18 MB, above the two-thread threshold
    for i in 0 ..< count {
      let name = String(format: "%08d", i == count / 2 ? i - 5 : i)
      text += "f /data/\(name) 0644 0 0 1700000000 12345 " + String(repeating: "x", count: 28) + " \n"
    }
    let path = try temp("big.T", Array(text.utf8))
    let (n, lines) = run(path)
    // Only the moved line is out of order (the next one is after it again).
    #expect(lines == ["\(path):\(count / 2 + 1): bad sort order (path not after the previous line's)"])
    #expect(n == 1)
  }

  @Test("command files: every malformed line, unopenable names and include loops, as FILE:LINE")
  func commandFiles() throws {
    let top = try temp("top.K", Array("p base.T extra\nz foo\n- k inc.K\np missing.T\nk inc.K\npositive a.T\n".utf8))
    let dir = (top as NSString).deletingLastPathComponent
    try Data("k inc.K\nx ./foo\n".utf8).write(to: URL(fileURLWithPath: dir + "/inc.K"))
    try Data().write(to: URL(fileURLWithPath: dir + "/a.T"))
    let (n, lines) = run(top)
    #expect(lines == [
      "\(top):1: expected 2 arguments, got 3",
      "\(top):2: 'z' invalid",
      "\(top):3: minus 'k' not supported",
      "\(top):4: cannot open \(dir)/missing.T: No such file or directory",
      "\(dir)/inc.K:1: command file loop: inc.K already included",
    ])
    #expect(n == 5)
  }
}
