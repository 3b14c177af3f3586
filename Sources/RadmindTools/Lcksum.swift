import SystemCalls
import Hashing
import Loadsets

/// The digest list radmind's `-V` prints after the version (historical; spec §4.1).
public let radmindChecksumList = ["sha1", "sha", "md5", "md2", "dss1", "mdc2", "ripemd160"]

/// `lcksum -c digest [-n [-a]] [-%AiIqV] [-D dir] [-P prefix] transcript ...` with radmind's
/// options, messages and exit codes (spec §9); the work is ``Loadsets/lcksum(_:output:)``.
public func lcksumMain(_ ctx: ToolContext) -> Int32 {
  let getopt = PosixGetopt(ctx.arguments, optionString: "%Aac:D:iInP:qV")
  var digest: DigestAlgorithm?
  var errors = 0
  var continueAfterErrors = false, checkAppleSingle = false, progress = false, lineBuffered = false
  var caseInsensitive = false, verifyOnly = false, quiet = false
  var radmindDirectory = "/var/radmind"
  var prefix: [UInt8]?
  for event in getopt.events {
    switch event {
    case .option("a", _): continueAfterErrors = true
    case .option("A", _): checkAppleSingle = true
    case .option("%", _): progress = true
    case .option("c", let name?):
      do { digest = try DigestAlgorithm(named: name) } catch {
        ctx.error("\(error.description)\n")
        return 2
      }
    case .option("i", _): lineBuffered = true
    case .option("I", _): caseInsensitive = true
    case .option("D", let dir?): radmindDirectory = dir
    case .option("P", let p?): prefix = Array(p.utf8)
    case .option("n", _): verifyOnly = true
    case .option("q", _): quiet = true
    case .option("V", _):
      ctx.out("\(loadsmithVersion)\n")
      for name in radmindChecksumList { ctx.out("\(name)\n") }
      try? ctx.stdout.flush()
      return 0
    default:
      if let m = PosixGetopt.message(for: event, program: ctx.program) { ctx.error(m) }
      errors += 1
    }
  }
  if digest == nil { errors += 1 }
  if continueAfterErrors && !verifyOnly { errors += 1 }
  guard errors == 0, !getopt.operands.isEmpty, let digest else {
    ctx.error("usage: \(ctx.program) [ -%AiIqV ] [ -D path ] [ -n [ -a ] ] [ -P prefix ] -c checksum transcript\n")
    return 2
  }
  var options = LcksumOptions(digest: digest)
  options.verifyOnly = verifyOnly
  options.continueAfterErrors = continueAfterErrors
  options.caseInsensitive = caseInsensitive
  options.quiet = quiet
  options.checkAppleSingle = checkAppleSingle
  options.progress = progress
  options.radmindDirectory = radmindDirectory
  options.prefix = prefix
  options.transcripts = getopt.operands
  // Benchmarking knob: hashing threads (default: one per CPU; 0 hashes on the main thread).
  if let value = Syscall.environment("LOADSMITH_HASH_THREADS"), let n = Int(value), n >= 0 {
    options.threads = n
  }
  return lcksum(options, output: ToolOutput(stdout: ctx.stdout, stderrFD: 2, lineBuffered: lineBuffered))
}
