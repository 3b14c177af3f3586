import SystemCalls
import Loadsets
import TranscriptIO

/// `lmerge` with radmind's command line (spec §8): getopt `CD:fInTu:Vv`, the three usage lines,
/// exit 2 on errors (1 when an input cannot be opened after it was located, as radmind).
public func lmergeMain(_ ctx: ToolContext) -> Int32 {
  let getopt = PosixGetopt(ctx.arguments, optionString: "CD:fInTu:Vv")
  var o = LmergeOptions()
  var errors = 0
  for event in getopt.events {
    switch event {
    case .option("C", _): o.copy = true
    case .option("D", let arg?): o.radmindDirectory = arg
    case .option("f", _): o.force = true
    case .option("I", _): o.caseInsensitive = true
    case .option("n", _): o.noUpload = true
    case .option("T", _): o.transcriptOnly = true
    case .option("u", let arg?):
      // strtol(optarg, NULL, 0): octal with a leading 0, hex with 0x; only overflow is an error.
      if let mask = Syscall.strtol(arg, base: 0) { Syscall.setUmask(FileMode(truncatingIfNeeded: mask)) } else { errors += 1 }
    case .option("V", _):
      ctx.out("\(loadsmithVersion)\n")
      try? ctx.stdout.flush()
      return 0
    case .option("v", _): o.verbose = true
    default:
      if let m = PosixGetopt.message(for: event, program: ctx.program) { ctx.error(m) }
      errors += 1
    }
  }
  let operands = getopt.operands
  let tcount = operands.count - 1
  if o.transcriptOnly && o.force { errors += 1 }
  if o.transcriptOnly && o.copy { errors += 1 }
  if o.noUpload && tcount > 2 { errors += 1 }
  if o.force && operands.count < 2 { errors += 1 }
  if o.force && tcount > 1 { errors += 1 }
  if !o.force && tcount < 2 { errors += 1 }
  if errors > 0 {
    let p = ctx.program
    ctx.error("Usage: \(p) [-vCIVT] [ -D path ] [ -u umask ] transcript... dest\n"
      + "       \(p) -f [-vCIV] [ -D path ] [ -u umask ] transcript1 transcript2\n"
      + "       \(p) -n [-vCIVT] [ -D path ] [ -u umask ] transcript1 transcript2 dest\n")
    return 2
  }
  if o.force {
    o.inputs = operands
  } else {
    o.inputs = Array(operands.dropLast())
    o.destination = operands.last
  }
  do {
    try Lmerge.run(o, out: { bytes in
      ctx.stdout.bytes.append(contentsOf: bytes)
      try? ctx.stdout.flushIfFull()
    }, err: { bytes in ctx.errorBytes(bytes) })
  } catch {
    ctx.errorBytes(error.message + [0x0A])
    return error.status
  }
  do { try ctx.stdout.flush() } catch { return 2 }
  return 0
}
