import RadmindFormat
import TranscriptIO

/// A command file's `x` lines as fsdiff applies them to what it walks (spec §5.4): shared by
/// ``FsdiffRun`` and ``TreeCapture`` (the store's capture), so both exclude the same objects.
public struct ExcludeRule: Sendable {
  /// Decoded patterns, converted to `form` by ``CommandFileLoader``.
  public var patterns: [[UInt8]]
  /// The form the patterns are in; a path is converted to it before matching (nil: as written).
  public var form: PathForm?
  public var caseInsensitive: Bool

  public init(patterns: [[UInt8]] = [], form: PathForm? = nil, caseInsensitive: Bool = false) {
    self.patterns = patterns
    self.form = form
    self.caseInsensitive = caseInsensitive
  }

  public func excludes(_ path: [UInt8]) -> Bool {
    if patterns.isEmpty { return false }
    let p = form?.convert(path) ?? path
    return patterns.contains { Wildcard.matches($0, p, caseInsensitive: caseInsensitive) }
  }
}

/// Hard-link groups as fsdiff forms them (spec §7.5): the first object *listed* with a
/// multiply-linked inode is the group's `f`; every later one becomes an `h` naming it. An excluded
/// object is never listed, so it never joins: when a group's first link is excluded, the next
/// link is the `f`, with its own checksum. Both walkers ask ``ExcludeRule`` before ``join(_:)``.
struct HardLinkGroups {
  struct Group {
    var firstPath: [UInt8]
    /// radmind's `hardlink_changed` flag (fsdiff -A).
    var changed: Bool
  }
  var groups = HardLinkTable<Group>()

  /// Makes `object` an `h` line naming its group's first member, or records it as that member.
  mutating func join(_ object: inout FilesystemObject) {
    guard object.kind != .directory && object.nlink > 1 else { return }
    let key = InodeKey(device: object.device, inode: object.inode)
    if let group = groups.firstLink(key, links: object.nlink, else: Group(firstPath: object.path, changed: false)) {
      object.kind = .hardLink
      object.target = group.firstPath
    }
  }

  /// radmind's `hardlink_changed`: with `mark`, flags the object's inode; returns the flag.
  mutating func changed(_ object: FilesystemObject, mark: Bool) -> Bool {
    let key = InodeKey(device: object.device, inode: object.inode)
    guard var group = groups[key] else { return false }
    if mark {
      group.changed = true
      groups[key] = group
    }
    return group.changed
  }
}
