import Capture
import RadmindFormat
import TranscriptIO

/// Validates whole files and reports **every** problem (radmind's readers stop at the first):
/// malformed lines, overlong lines, a missing final newline, out-of-order or duplicate paths,
/// unreadable files. Each problem is reported as `FILE:LINE: message`.
public enum TranscriptChecker {
  /// Checks a transcript, or a command file when the name ends in `.K`; returns the number of problems.
  public static func check(path: String, caseInsensitive: Bool, report: (String) -> Void) -> Int {
    if path.hasSuffix(".K") {
      return CommandFileChecker.check(path: path, report: report)
    }
    var problems = 0
    func problem(_ line: Int, _ message: String) {
      problems += 1
      report("\(path):\(line): \(message)")
    }
    let reader: LineReader
    do { reader = try LineReader(path: path) } catch {
      problem(0, "cannot read: \(error.reason)")
      return problems
    }
    var parser = TranscriptLineParser()
    var order = OrderChecker(order: PathOrder(caseInsensitive: caseInsensitive))
    do {
      while let line = try reader.next() {
        if line.count > RadmindLimits.maxLineLength {
          problem(reader.lineNumber, "line too long (\(line.count) bytes, radmind reads at most \(RadmindLimits.maxLineLength))")
        }
        if !reader.lastLineHadNewline {
          problem(reader.lineNumber, "missing final newline (radmind's readers reject the line as too long)")
        }
        if isCommentOrBlank(line) { continue }
        do {
          let (_, _, typeIndex) = try parser.validate(line)
          if !order.accept(encoded: parser.tokens.token(typeIndex + 1, in: line)) {
            problem(reader.lineNumber, "bad sort order (path not after the previous line's)")
          }
        } catch {
          problem(reader.lineNumber, error.description)
        }
      }
    } catch {
      problem(reader.lineNumber + 1, "read error: \(error.reason)")
    }
    return problems
  }
}

/// Checks a command file with Capture's loader, reporting every problem it finds (syntax, include
/// loops, missing command files, transcripts and special.T) as `FILE: message` lines.
enum CommandFileChecker {
  static func check(path: String, report: (String) -> Void) -> Int {
    CommandFileValidation.check(path: path, report: report)
  }
}
