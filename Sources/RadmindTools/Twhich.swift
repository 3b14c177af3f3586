import Capture
import Loadsets
import TranscriptIO

/// `twhich` with radmind's command line (spec §10.2): getopt `aIK:rsV`, two usage lines, exit 0
/// found, 1 not found (or excluded), 2 on errors.
public func twhichMain(_ ctx: ToolContext) -> Int32 {
  let getopt = PosixGetopt(ctx.arguments, optionString: "aIK:rsV")
  var o = TwhichOptions()
  var errors = 0
  var server = false
  var defaultCommandFile = true
  for event in getopt.events {
    switch event {
    case .option("a", _): o.all = true
    case .option("I", _): o.caseInsensitive = true
    case .option("K", let arg?):
      o.commandFile = Array(arg.utf8)
      defaultCommandFile = false
    case .option("r", _): o.recursive = true
    case .option("s", _): server = true
    case .option("V", _):
      ctx.out("\(loadsmithVersion)\n")
      try? ctx.stdout.flush()
      return 0
    default:
      if let m = PosixGetopt.message(for: event, program: ctx.program) { ctx.error(m) }
      errors += 1
    }
  }
  if getopt.operands.count != 1 { errors += 1 }
  if server && defaultCommandFile { errors += 1 }
  if errors > 0 {
    ctx.error("Usage: \(ctx.program) [ -aIrV ] [ -K command file ] file\n"
      + "Usage: \(ctx.program) -s -K command [ -aIrV ] file\n")
    return 2
  }
  if server { o.serverDirectory = Array("/var/radmind".utf8) }
  o.path = Array(getopt.operands[0].utf8)
  do {
    let rc = try Twhich.run(o, out: ctx.stdout)
    try ctx.stdout.flush()
    return rc
  } catch let error as CaptureError {
    ctx.errorBytes(error.message + [0x0A])
    return error.status
  } catch {
    ctx.error("\(error)\n")
    return 2
  }
}
