/// The name a reader command is narrowed to (`status NAME`, `log NAME`, `verify NAME`, tier
/// status): a loadset, pointer, series or product name, `.T` optional. Names match at `-`
/// boundaries only, so `was-apache` covers `was-apache-bin-rhel5` but not `was-apachex`.
struct NameFilter {
  /// The filter without its `.T`.
  let stem: String

  init(_ text: String) { stem = text.replacingSuffix(".T") }

  /// `name` is the filter or lies under it.
  func covers(_ name: String) -> Bool { name == stem || name.hasPrefix(stem + "-") }

  /// The filter is `name` or lies under it (a loadset filter finds its series and product).
  func isCovered(by name: String) -> Bool { stem == name || stem.hasPrefix(name + "-") }

  /// `covers` for a name that may end in `.T` (loadsets, pointers).
  func selects(_ name: String) -> Bool { covers(name.replacingSuffix(".T")) }

  /// Either lies under the other: what `status` lists for a series, product or loadset filter.
  func relates(_ name: String) -> Bool { covers(name) || isCovered(by: name) }
}
