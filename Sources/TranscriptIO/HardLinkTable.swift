import SystemCalls

/// A file's identity: device and inode (two paths with one key are hard links of one file).
public struct InodeKey: Hashable, Sendable {
  public var device: UInt64
  public var inode: UInt64
  public init(device: UInt64, inode: UInt64) { self.device = device; self.inode = inode }
  public init(_ st: FileStatus) { self.init(device: UInt64(st.st_dev), inode: UInt64(st.st_ino)) }
}

/// The one hard-link table: the first path met for each multiply-linked inode, which every later
/// link names (fsdiff's `h` lines, an archive's hard-link members).
/// Inlinable: fsdiff asks it about every file it lists.
public struct HardLinkTable<Value> {
  @usableFromInline var first: [InodeKey: Value] = [:]

  @inlinable public init() {}

  /// The value recorded for the inode's first link, or nil after recording `value` as that
  /// first link (a file with one link is never recorded).
  @inlinable
  public mutating func firstLink(_ key: InodeKey, links: UInt64, else value: @autoclosure () -> Value) -> Value? {
    guard links > 1 else { return nil }
    if let known = first[key] { return known }
    first[key] = value()
    return nil
  }

  @inlinable public subscript(key: InodeKey) -> Value? {
    get { first[key] }
    set { first[key] = newValue }
  }
}
