#if canImport(Glibc)
import Glibc
#endif
import RadmindFormat

/// libFuzzer harness for the transcript line parser and tokenizer (and, through `FuzzTargets`,
/// every other pure parser). Each input is one line; the checks are invariants, so any crash,
/// hang or failed check is a bug:
/// - the SWAR tokenizer agrees with a plain byte split;
/// - a line that parses writes out in fsdiff's layout and parses back to the same entry.
///
/// Build and run (see README "Fuzzing"):
///   swift build -c debug --scratch-path .build-fuzz --product loadsmith-fuzz \
///     -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DFUZZING
///   SWIFT_BACKTRACE=enable=no .build-fuzz/debug/loadsmith-fuzz -runs=10000000 fixtures/fuzz-corpus
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = UnsafeRawBufferPointer(start: data, count: size)
  FuzzTargets.line(bytes)
  FuzzTargets.commandLine(bytes)
  FuzzTargets.wildcard(UnsafeRawBufferPointer(rebasing: bytes.prefix(FuzzTargets.wildcardInputLimit)))
  return 0
}

enum FuzzTargets {
  nonisolated(unsafe) static var tokens = LineTokens()
  nonisolated(unsafe) static var parser = TranscriptLineParser()

  static func line(_ bytes: UnsafeRawBufferPointer) {
    tokens.split(bytes)
    let plain = bytes.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A })
    check(tokens.count == plain.count, "token count")
    for k in 0 ..< min(tokens.count, LineTokens.capacity) {
      check(tokens.token(k, in: bytes).elementsEqual(plain[k]), "token \(k)")
    }
    guard let entry = try? parser.parse(bytes) else { return }
    var written: [UInt8] = []
    LineWriter.append(entry, to: &written)
    written.removeLast()  // the LF
    var again = TranscriptLineParser()
    let reparsed: Entry
    do { reparsed = try again.parse(written) } catch {
      check(false, "written line does not parse: \(error)")
      return
    }
    var expected = entry
    expected.mode = entry.permissions
    expected.finderInfo = []
    var got = reparsed
    got.mode = reparsed.permissions
    check(expected == got, "round trip")
  }

  nonisolated(unsafe) static var commandParser = CommandFileLineParser()

  /// The command-file line parser must never crash; a parsed line has a one-letter kind.
  static func commandLine(_ bytes: UnsafeRawBufferPointer) {
    _ = try? commandParser.parse(bytes)
  }

  /// The wildcard target sees at most this many leading bytes of an input. The matcher costs
  /// O(pattern × path) on purpose (its memo table is what bounds radmind's exponential
  /// backtracking): on a 1.4 KB input of stars that was ~1 ms per execution, ~90% of the whole
  /// run, and capped the harness near 1,500 executions/s (512 bytes: still ~75%, ~3,500/s).
  /// Any blow-up beyond quadratic shows at 256 bytes already (20 stars); 4 KiB lines are
  /// covered by WildcardComplexityTests.
  static let wildcardInputLimit = 256

  /// Bytes that make a pattern more than a literal.
  static let wildcardBytes: Set<UInt8> = [0x2A, 0x3F, 0x5B, 0x7B, 0x3C, 0x5C]

  /// The wildcard matcher on (pattern, path) split at the first NUL: never crashes or reads past
  /// the end, and a pattern without wildcard bytes matches exactly itself.
  static func wildcard(_ bytes: UnsafeRawBufferPointer) {
    let all = Array(bytes)
    let cut = all.firstIndex(of: 0) ?? all.count / 2
    let pattern = Array(all[..<cut])
    let path = Array(all[min(cut + 1, all.count)...])
    let plain = Wildcard.matches(pattern, path)
    _ = Wildcard.matches(pattern, path, caseInsensitive: true)
    if !pattern.contains(where: wildcardBytes.contains) {
      check(plain == (pattern == path), "literal pattern matches exactly itself")
    }
  }

  static func check(_ condition: Bool, _ what: @autoclosure () -> String) {
    if !condition {
      print("fuzz invariant failed: \(what())")
      abort()
    }
  }
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
  _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
  _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@main struct FuzzDriver {
  static func main() {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv) { fuzzOneInput($0, $1) })
  }
}
#else
/// Without libFuzzer: replays the files given as arguments (a regression run over the corpus).
@main struct FuzzReplay {
  static func main() {
    var count = 0
    for path in CommandLine.arguments.dropFirst() {
      guard let f = fopen(path, "rb") else { continue }
      var bytes: [UInt8] = []
      var buf = [UInt8](repeating: 0, count: 65536)
      while true {
        let n = fread(&buf, 1, buf.count, f)
        if n <= 0 { break }
        bytes.append(contentsOf: buf[..<n])
      }
      fclose(f)
      bytes.withUnsafeBufferPointer { _ = fuzzOneInput($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
      count += 1
    }
    print("replayed \(count) inputs")
  }
}
#endif
