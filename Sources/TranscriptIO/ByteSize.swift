/// Sizes for people: `512 B`, `3.6 GiB`, `358 MiB` (binary units). One decimal below 10 units,
/// where a truncated whole number would hide up to half the size (3.58 GiB is not "3 GiB"), whole
/// units from 10 up; rounded to the nearest, never shown as 1024 of a unit. The one formatter for
/// `status`, the web view and progress lines.
public enum ByteSize {
  static let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]

  public static func text(_ bytes: Int64) -> String {
    if bytes < 1024 { return "\(bytes) B" }
    var value = Double(bytes) / 1024
    for (index, unit) in units.enumerated() {
      let tenths = (value * 10).rounded()
      if tenths < 100 { return "\(Int(tenths) / 10).\(Int(tenths) % 10) \(unit)" }
      let whole = value.rounded()
      if whole < 1024 || index == units.count - 1 { return "\(Int64(whole)) \(unit)" }
      value /= 1024
    }
    return "\(bytes) B"
  }
}
