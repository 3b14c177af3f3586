import SystemCalls
import RadmindFormat
import TranscriptIO

/// `lsort [-IV] [-o file] [files...]` exactly as radmind (spec §10.1): every input's lines are
/// keyed by their decoded path (the token after the type, skipping a `+`/`-` token), blank and
/// comment lines dropped, lines written verbatim in path order, ties in reverse input order.
///
/// Unlike radmind, memory stays bounded (an external merge sort) and a file named by `-o` is
/// replaced atomically: a failed run leaves it as it was (see ``OutputTarget``).
public func lsortMain(_ ctx: ToolContext) -> Int32 {
  let options: LsortOptions
  switch parseLsortOptions(ctx) {
  case .run(let parsed): options = parsed
  case .exit(let status): return status
  }
  var sorter = ExternalSorter(order: PathOrder(caseInsensitive: options.caseInsensitive))
  do {
    for input in options.inputs {
      let status = try addLines(of: input, to: &sorter, ctx)
      if status != 0 { return status }
    }
    if let output = options.output {
      try sorter.finish(into: output.buffer, direct: true)
      try output.commit()
    } else {
      try sorter.finish(into: ctx.stdout)
      try ctx.stdout.flush()
    }
  } catch {
    ctx.error("\((error as? SystemCallError)?.detailed ?? "\(error)")\n")
    return 1
  }
  return 0
}

/// What `lsort`'s command line asks for.
struct LsortOptions {
  var caseInsensitive = false
  var output: OutputTarget?
  var inputs: [String] = []
}

enum LsortCommand {
  case run(LsortOptions)
  case exit(Int32)
}

/// Parses `-I`, `-o FILE`, `-V` and the input names as radmind's getopt loop does.
func parseLsortOptions(_ ctx: ToolContext) -> LsortCommand {
  let getopt = PosixGetopt(ctx.arguments, optionString: "Io:V")
  var options = LsortOptions()
  var errors = 0
  for event in getopt.events {
    switch event {
    case .option("I", _): options.caseInsensitive = true
    case .option("o", let arg?):
      // radmind opens -o while parsing options: report an unusable target the same way, but
      // replace a file only once the sorted output is complete (a device or FIFO is written into).
      do { options.output = try OutputTarget(path: arg) } catch {
        ctx.error("\(arg): \(error.reason)\n")
        return .exit(1)
      }
    case .option("V", _):
      ctx.out("\(loadsmithVersion)\n")
      try? ctx.stdout.flush()
      return .exit(0)
    default:
      if let m = PosixGetopt.message(for: event, program: ctx.program) { ctx.error(m) }
      errors += 1
    }
  }
  if errors > 0 {
    ctx.error("Usage: \(ctx.program) [ -IV ] [ -o file ] [ files... ]\n")
    return .exit(1)
  }
  options.inputs = getopt.operands.isEmpty ? ["-"] : getopt.operands
  return .run(options)
}

/// Adds every line of one input (`-` is standard input) to the sorter; returns radmind's exit
/// status for an unreadable input (2) or a line without a path (1), else 0.
func addLines(of input: String, to sorter: inout ExternalSorter, _ ctx: ToolContext) throws -> Int32 {
  // radmind reads with fgets into 4096 bytes: a longer line arrives as 4095-byte pieces, so the
  // reader hands it over in those pieces and never holds more of it (memory stays bounded).
  let fgetsPiece = 4095
  let reader: LineReader
  if input == "-" {
    reader = LineReader(fd: 0, name: "(stdin)", maxLineLength: fgetsPiece, splitsLongLines: true)
  } else {
    do { reader = try LineReader(path: input, maxLineLength: fgetsPiece, splitsLongLines: true) } catch {
      ctx.error("\(input): \(error.reason)\n")
      return 2
    }
  }
  var pieceNumber = 0
  var badLine: Int?
  try reader.forEachLine { line, _, hadNewline in
    // radmind reads with fgets into 4096 bytes: a longer line arrives as several pieces.
    let full = hadNewline ? line.count + 1 : line.count
    var offset = 0
    while offset < full {
      let length = min(4095, full - offset)
      let piece = UnsafeRawBufferPointer(start: line.baseAddress! + offset, count: length)
      offset += length
      pieceNumber += 1
      // Only the tokens up to the path are read: [+|-] type path.
      var i = 0
      guard let lead = LineTokens.nextToken(piece, &i) else { continue }
      let b = piece[lead.lowerBound]
      if b == UInt8(ascii: "#") { continue }
      let type = b == UInt8(ascii: "+") || b == UInt8(ascii: "-") ? LineTokens.nextToken(piece, &i) : lead
      guard type != nil, let path = LineTokens.nextToken(piece, &i) else {
        badLine = pieceNumber
        return false
      }
      try sorter.add(line: piece, encodedPath: UnsafeRawBufferPointer(rebasing: piece[path]))
    }
    return true
  }
  if let badLine {
    ctx.error("\(reader.name): line \(badLine): not enough fields\n")
    return 1
  }
  return 0
}
