import SystemCalls
import Capture
import RadmindFormat
import TranscriptIO

/// `fsdiff { -C | -A | -1 } [ -IVW ] [ -K command ] [ -c checksum ] [ -o file [ -% ] ] path`,
/// exactly as radmind (spec §7): the same options, output, messages and exit codes.
///
/// Unlike radmind, a file named by `-o` is replaced atomically: after a fatal error it is left as
/// it was (radmind leaves a truncated, half-written transcript). A device or FIFO is written
/// into (see ``OutputTarget``).
public func fsdiffMain(_ ctx: ToolContext) -> Int32 {
  let invocation: FsdiffInvocation
  switch FsdiffInvocation.parse(ctx) {
  case .run(let parsed): invocation = parsed
  case .exit(let status): return status
  }
  let file = invocation.output
  let out = file?.buffer ?? ctx.stdout
  do throws(CaptureError) {
    if invocation.options.single && invocation.argument == Array("-".utf8) {
      try invocation.compareStandardInput(ctx, out: out)
    } else {
      try invocation.compareTree(ctx, out: out)
    }
    if let file {
      do { try file.commit() } catch { throw CaptureError.system(Array(error.path.utf8), errno: error.errno) }
    }
    do { try ctx.stdout.flush() } catch { throw CaptureError.system(Array("(stdout)".utf8), errno: error.errno) }
  } catch {
    file?.abort()
    try? ctx.stdout.flush()
    var bytes = error.message
    bytes.append(0x0A)
    bytes.withUnsafeBytes { _ = try? writeAll(fd: 2, $0, name: "(stderr)") }
    return error.status
  }
  return 0
}

/// fsdiff's command line, parsed and checked as radmind checks it.
struct FsdiffInvocation {
  var options = FsdiffOptions()
  var kfile = "/var/radmind/client/command.K"
  var output: OutputTarget?
  /// The path operand, as given.
  var argument: [UInt8] = []

  enum Parsed {
    case run(FsdiffInvocation)
    /// Stop with this status (the message, or `-V`'s output, is already printed).
    case exit(Int32)
  }

  static func parse(_ ctx: ToolContext) -> Parsed {
    let getopt = PosixGetopt(ctx.arguments, optionString: "%1ACc:IK:o:tVvW")
    var parsed = FsdiffInvocation()
    var modeChanges = 0
    var errors = 0
    for event in getopt.events {
      switch event {
      case .option("c", let name?):
        guard let digester = makeDigester(named: name) else {
          ctx.error("\(name): unsupported checksum\n")
          return .exit(2)
        }
        parsed.options.digester = digester
      case .option("I", _): parsed.options.caseInsensitive = true
      case .option("o", let path?):
        // radmind opens the file here; report an unusable one the same way, but leave an existing
        // file untouched until the new transcript is complete (a device or FIFO is written into).
        do { parsed.output = try OutputTarget(path: path) } catch {
          ctx.error("\(path): \(error.reason)\n")
          return .exit(2)
        }
      case .option("K", let path?): parsed.kfile = path
      case .option("1", _):
        parsed.options.single = true
        modeChanges += 1
        parsed.options.mode = .creatable
      case .option("C", _):
        modeChanges += 1
        parsed.options.mode = .creatable
      case .option("A", _):
        modeChanges += 1
        parsed.options.mode = .applicable
      case .option("t", _): parsed.options.ignoreTime = true
      case .option("V", _):
        ctx.out("\(loadsmithVersion)\nsha1\nsha\nmd5\nmd2\ndss1\nmdc2\nripemd160\n")
        try? ctx.stdout.flush()
        return .exit(0)
      case .option("W", _): parsed.options.warnExcludes = true
      case .option("%", _), .option("v", _): parsed.options.progress = true
      default:
        if let m = PosixGetopt.message(for: event, program: ctx.program) { ctx.error(m) }
        ctx.out("bad ?\n")
        errors += 1
      }
    }
    if parsed.options.progress && parsed.output == nil { errors += 1 }
    if parsed.options.mode == .applicable && parsed.options.single { errors += 1 }
    if modeChanges > 1 { errors += 1 }
    if parsed.kfile.hasSuffix("/") || parsed.kfile.isEmpty { errors += 1 }
    if errors > 0 || getopt.operands.count != 1 {
      ctx.error("usage: \(ctx.program) { -C | -A | -1 } [ -IVW ] [ -K command ] [ -c checksum ] [ -o file [ -% ] ] path\n")
      return .exit(2)
    }
    parsed.argument = Array(getopt.operands[0].utf8)
    return .run(parsed)
  }

  /// `-1 -`: paths from standard input; only the command file's excludes are used, as written.
  func compareStandardInput(_ ctx: ToolContext, out: OutputBuffer) throws(CaptureError) {
    let loader = CommandFileLoader(form: nil, order: PathOrder(caseInsensitive: options.caseInsensitive),
                                   checksumming: false, openTranscripts: false)
    var loaded = try loader.load(path: Array(kfile.utf8))
    loaded.transcripts = []
    let run = FsdiffRun(options: options, commandFile: loaded, out: out, messages: ctx.stdout)
    let input = LineReader(fd: 0, name: "(stdin)")
    while true {
      let next: UnsafeRawBufferPointer?
      do { next = try input.next() } catch { throw CaptureError.system(Array("(stdin)".utf8), errno: error.errno) }
      guard let line = next else { break }
      let path = PathForm.canonicalize(Array(line))
      try run.runSingle(path: path) { warning in
        try? ctx.stdout.flush()
        var bytes = warning
        bytes.append(0x0A)
        bytes.withUnsafeBytes { _ = try? writeAll(fd: 2, $0, name: "(stderr)") }
      }
    }
  }

  /// The path operand compared with the command file's transcripts.
  func compareTree(_ ctx: ToolContext, out: OutputBuffer) throws(CaptureError) {
    let path = PathForm.canonicalize(argument)
    let form = PathForm(canonicalPath: path)
    var loaded = LoadedCommandFile()
    // The path is checked before the command file is read.
    if case .absent = FilesystemObject.stat(path) {
      throw CaptureError.system(path, errno: Errno.noEntry)
    }
    if !options.single {
      let loader = CommandFileLoader(form: form, order: PathOrder(caseInsensitive: options.caseInsensitive),
                                     checksumming: options.digester != nil)
      loaded = try loader.load(path: Array(kfile.utf8))
      if loaded.transcripts.isEmpty && options.mode == .applicable {
        throw CaptureError("-A option requires a non-NULL transcript")
      }
    }
    let run = FsdiffRun(options: options, commandFile: loaded, out: out, messages: ctx.stdout)
    try run.run(path: path)
  }
}
