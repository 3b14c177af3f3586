import SystemCalls
import TranscriptIO
import Capture
import Synchronization

/// Opening a file capture is about to store: it must be the very regular file the walk listed.
///
/// The walk lists each directory through a descriptor checked to be the directory it listed
/// (``TreeCapture``), so every listed inode was inside the node. The copy opens the file by path
/// (`O_NOFOLLOW | O_NONBLOCK`: no final symlink, no blocking on a FIFO swapped in) and `fstat`
/// must give the listed device and inode: a directory on the way swapped for a symlink to `/etc`
/// leads to another inode, and the capture fails instead of storing it.
enum CaptureSource {
  enum Opened { case success(Int32), failure(String) }

  static func open(_ source: [UInt8], identity: TreeCapture.InodeKey) -> Opened {
    let shown = String(decoding: source, as: UTF8.self)
    let moved = "\(shown): is no longer the file that was listed (it or a directory above it was replaced or moved while it was captured); nothing outside the node is stored: capture again once the staging tree is quiet"
    let fd: Int32
    do { fd = try Syscall.open(source, [.readOnly, .noFollow, .nonBlocking]) } catch {
      let e = error.errno
      if e == Errno.tooManyLinks || e == Errno.notDirectory || e == Errno.noDeviceOrAddress { return .failure(moved) }
      return .failure("\(shown): open: \(error.reason)")
    }
    let st: FileStatus
    do { st = try Syscall.fstat(fd, path: source) } catch {
      Syscall.closeQuietly(fd)
      return .failure("\(shown): fstat: \(error.reason)")
    }
    guard FileType(mode: st.st_mode) == .regular, UInt64(st.st_dev) == identity.device, UInt64(st.st_ino) == identity.inode else {
      Syscall.closeQuietly(fd)
      return .failure(moved)
    }
    Syscall.clearNonBlocking(fd)
    return .success(fd)
  }
}

/// A test's way in between listing a node and copying its files (to change the staging tree
/// there, deterministically). Unset, it costs one lock.
package enum CaptureHooks {
  static let afterListing = Mutex<(@Sendable ([UInt8]) -> Void)?>(nil)

  /// Sets (or with nil clears) what runs after each node is listed, with the node's path.
  package static func setAfterListing(_ body: (@Sendable (_ node: [UInt8]) -> Void)?) {
    afterListing.withLock { $0 = body }
  }

  static func runAfterListing(_ node: [UInt8]) {
    if let body = afterListing.withLock({ $0 }) { body(node) }
  }
}

extension LoadsetStore {
  /// The store's root and state directory, by identity: a capture skips them wherever they
  /// appear in the node (a store kept inside the tree it captures).
  func storeDirectoryIdentities() -> Set<TreeCapture.InodeKey> {
    var keys = Set<TreeCapture.InodeKey>()
    for path in [root, stateDirectory] {
      if let st = try? Syscall.stat(path) { keys.insert(InodeKey(st)) }
    }
    return keys
  }
}
