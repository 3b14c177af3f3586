import RadmindFormat

extension DiffOutput {
  /// One transcript line as a JSON object with the fields `diff --json` uses for an added or
  /// removed path (`path`, `type`, `mode`, `uid`, ...), without `change` and without the LF.
  public static func appendEntryJSON(_ entry: Entry, to out: inout [UInt8]) {
    var one: [UInt8] = []
    object("", entry, &one)
    // object() writes {"change":"","path":...}\n: keep {"path":...}.
    let lead = Array("{\"change\":\"\",".utf8)
    out.append(0x7B)
    out += one[lead.count ..< one.count - 1]
  }
}
