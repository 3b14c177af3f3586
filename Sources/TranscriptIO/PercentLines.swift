/// radmind's `-%` progress (`fsdiff -%`, `lcksum -%`): a line `%NN PATH` on standard output each
/// time the whole percentage changes (two digits at least: `%07`). The one printer of both tools;
/// each decides what the percentage measures, as radmind does.
public struct PercentLines {
  var last = -1

  public init() {}

  /// The line for `percent` reached at `path`, or nil when that percentage was the last shown.
  public mutating func line(_ percent: Int, path: [UInt8]) -> [UInt8]? {
    guard percent != last else { return nil }
    last = percent
    var line: [UInt8] = [0x25]  // %
    if percent < 10 { line.append(0x30) }
    line += Array(String(percent).utf8)
    line.append(0x20)
    line += path
    line.append(0x0A)
    return line
  }
}
