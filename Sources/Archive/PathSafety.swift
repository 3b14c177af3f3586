/// Decides whether an entry stays inside the directory it is extracted into.
///
/// The rules are lexical and strict, so that they hold whatever is already on disk and
/// whichever order the entries come in:
/// - a name may not be empty or absolute, and may not contain a `..` component;
/// - a hard link's target follows the same rules (it names another archived path);
/// - a symlink's target may not be absolute; it may start with `..` components, but no
///   more than the link's own directory depth, and may not contain `..` after any other
///   component (a `..` after a component that is itself a symlink could climb out).
///
///     try PathSafety.check(entry)  // throws ArchiveError.unsafePath for "../../etc/x"
package enum PathSafety {
  package static func check(_ entry: TarEntry) throws(ArchiveError) {
    try checkName(entry.path, of: entry.path)
    switch entry.kind {
    case .hardLink:
      try checkName(entry.linkTarget, of: entry.path, what: "hard link target")
    case .symbolicLink:
      try checkSymlinkTarget(entry.linkTarget, of: entry.path)
    default:
      break
    }
  }

  /// Components of `path` without empty and `.` components.
  static func components(_ path: [UInt8]) -> [ArraySlice<UInt8>] {
    path.split(separator: 0x2F, omittingEmptySubsequences: true).filter { !($0.count == 1 && $0.first == 0x2E) }
  }

  private static func isDotDot(_ c: ArraySlice<UInt8>) -> Bool {
    c.count == 2 && c.first == 0x2E && c.last == 0x2E
  }

  static func checkName(_ name: [UInt8], of entryPath: [UInt8], what: String = "name") throws(ArchiveError) {
    if name.isEmpty { throw .unsafePath(path: entryPath, reason: "\(what) is empty") }
    if name.first == 0x2F { throw .unsafePath(path: entryPath, reason: "\(what) '\(displayPath(name))' is absolute") }
    if name.contains(0) { throw .unsafePath(path: entryPath, reason: "\(what) contains a NUL byte") }
    if components(name).contains(where: isDotDot) {
      throw .unsafePath(path: entryPath, reason: "\(what) '\(displayPath(name))' has a '..' component")
    }
    if components(name).isEmpty && what != "name" {
      throw .unsafePath(path: entryPath, reason: "\(what) '\(displayPath(name))' names the root")
    }
  }

  static func checkSymlinkTarget(_ target: [UInt8], of entryPath: [UInt8]) throws(ArchiveError) {
    if target.isEmpty { throw .unsafePath(path: entryPath, reason: "symlink target is empty") }
    if target.first == 0x2F {
      throw .unsafePath(path: entryPath, reason: "symlink target '\(displayPath(target))' is absolute")
    }
    let depth = components(entryPath).count - 1  // directories above the link, within the root
    var ups = 0, sawName = false
    for component in components(target) {
      if isDotDot(component) {
        if sawName {
          throw .unsafePath(path: entryPath, reason: "symlink target '\(displayPath(target))' has '..' after a name")
        }
        ups += 1
        if ups > depth {
          throw .unsafePath(path: entryPath, reason: "symlink target '\(displayPath(target))' points outside the root")
        }
      } else {
        sawName = true
      }
    }
  }
}
