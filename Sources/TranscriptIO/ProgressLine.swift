import SystemCalls

/// The text of ``WorkProgress``'s line:
/// `archive was-apache-bin-rhel5-001.002.T  41%  812/1981 files  1.5 GiB/3.6 GiB  96 MiB/s  22s left`.
/// Totals appear where the work knows them; the rate and time left once a second has passed.
public enum ProgressLine {
  /// Back to the start of the line, then the text, then erase whatever an older, longer line left.
  public static func redraw(_ line: String) -> [UInt8] { [0x0D] + Array(line.utf8) + [0x1B, 0x5B, 0x4B] }
  /// Back to the start and erase the line.
  public static let erase: [UInt8] = [0x0D, 0x1B, 0x5B, 0x4B]

  public static func text(what: String, files: Int, totalFiles: Int?, bytes: Int64, totalBytes: Int64?,
                          elapsed: Double, width: Int) -> String {
    var parts = [what]
    // Counts never run past the total (a total from metadata can be an estimate).
    let files = totalFiles.map { min(files, $0) } ?? files
    let bytes = totalBytes.map { min(bytes, $0) } ?? bytes
    if let fraction = fraction(files: files, totalFiles: totalFiles, bytes: bytes, totalBytes: totalBytes) {
      parts.append("\(Int(fraction * 100))%")
    }
    if let totalFiles {
      parts.append("\(files)/\(totalFiles) files")
    } else if files > 0 {
      parts.append("\(files) files")
    }
    if let totalBytes, totalBytes > 0 {
      parts.append("\(ByteSize.text(bytes))/\(ByteSize.text(totalBytes))")
    } else if bytes > 0 {
      parts.append(ByteSize.text(bytes))
    }
    if elapsed >= 1 {
      if bytes > 0 {
        parts.append("\(ByteSize.text(Int64(Double(bytes) / elapsed)))/s")
      } else if files > 0 {
        parts.append("\(Int(Double(files) / elapsed)) files/s")
      }
      if let fraction = fraction(files: files, totalFiles: totalFiles, bytes: bytes, totalBytes: totalBytes),
         fraction > 0, fraction < 1 {
        parts.append("\(duration(elapsed * (1 - fraction) / fraction)) left")
      }
    }
    return fitted(parts.joined(separator: "  "), width: width)
  }

  /// How much is done: by bytes when their total is known (files differ in size), else by files.
  static func fraction(files: Int, totalFiles: Int?, bytes: Int64, totalBytes: Int64?) -> Double? {
    if let totalBytes, totalBytes > 0 { return Double(bytes) / Double(totalBytes) }
    if let totalFiles, totalFiles > 0 { return Double(files) / Double(totalFiles) }
    return nil
  }

  /// `42s`, `3m07s`, `1h05m`.
  static func duration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded(.up))
    if s < 60 { return "\(s)s" }
    if s < 3600 { return "\(s / 60)m\(s % 60 < 10 ? "0" : "")\(s % 60)s" }
    let m = s / 60
    return "\(m / 60)h\(m % 60 < 10 ? "0" : "")\(m % 60)m"
  }

  /// Cut to one character less than the terminal's width: a line that wraps cannot be redrawn.
  static func fitted(_ line: String, width: Int) -> String {
    let room = max(10, width - 1)
    guard line.count > room else { return line }
    return String(line.prefix(room - 1)) + "…"
  }

  /// The terminal's width, or 80 when `fd` is not a terminal.
  static func width(of fd: Int32) -> Int {
    Syscall.terminalWidth(fd) ?? 80
  }
}
