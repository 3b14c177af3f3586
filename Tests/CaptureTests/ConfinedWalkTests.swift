#if canImport(Glibc)
import Glibc
#endif
import StoreTestSupport
import Testing
@testable import Capture
import RadmindFormat

/// TreeCapture never lists anything outside its tree, even when the tree changes while it walks.
struct ConfinedWalkTests {
  @Test("a directory swapped for a symlink after it was listed, before it is read: the walk throws, nothing outside is listed")
  func swappedDirectory() throws {
    let s = Scratch()
    s.sh("mkdir -p stage/n/d outside && echo x > stage/n/d/inside && echo secret > outside/shadow")
    let capture = TreeCapture(root: s.path + "/stage")
    var paths: [String] = []
    #expect {
      try capture.capture(nodes: [Array("/n".utf8)]) { entry in
        let path = String(decoding: entry.path, as: UTF8.self)
        paths.append(path)
        // The walk emits /n/d before it opens it: swap it now.
        if path == "/n/d" { s.sh("mv stage/n/d stage/n/d.old && ln -s \(s.path)/outside stage/n/d") }
      }
    } throws: { error in
      "\(error)".hasSuffix("stage/n/d: is no longer the directory that was listed (replaced by a symlink or moved while it was captured); nothing outside the tree is read: capture again once the staging tree is quiet")
    }
    #expect(!paths.contains("/n/d/shadow"))
  }

  @Test("a directory moved away and replaced by another directory: its identity no longer matches")
  func replacedDirectory() throws {
    let s = Scratch()
    s.sh("mkdir -p stage/n/d other && echo x > stage/n/d/inside && echo y > other/elsewhere")
    let capture = TreeCapture(root: s.path + "/stage")
    var paths: [String] = []
    #expect(throws: CaptureError.self) {
      try capture.capture(nodes: [Array("/n".utf8)]) { entry in
        paths.append(String(decoding: entry.path, as: UTF8.self))
        if entry.path == Array("/n/d".utf8) { s.sh("mv stage/n/d stage/n/d.old && mv other stage/n/d") }
      }
    }
    #expect(!paths.contains("/n/d/elsewhere"))
  }

  @Test("a node reached through a symlinked directory is refused; skipped directories are reported, not walked")
  func nodeThroughSymlinkAndSkips() throws {
    let s = Scratch()
    s.sh("mkdir -p stage outside/n/keep stage/m/store/tmp stage/m/files && ln -s \(s.path)/outside stage/link && echo a > stage/m/files/a")
    let capture = TreeCapture(root: s.path + "/stage")
    #expect(throws: CaptureError.self) {
      try capture.capture(nodes: [Array("/link/n".utf8)]) { _ in }
    }
    var st = stat()
    #expect(stat(s.path + "/stage/m/store", &st) == 0)
    var skipping = TreeCapture(root: s.path + "/stage")
    skipping.includeAncestors = false
    skipping.skipDirectories = [TreeCapture.InodeKey(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))]
    var paths: [String] = []
    var skipped: [String] = []
    try skipping.captureObjects(nodes: [Array("/m".utf8)], skipped: { skipped.append(String(decoding: $0, as: UTF8.self)) }) { entry, _ in
      paths.append(String(decoding: entry.path, as: UTF8.self))
    }
    #expect(paths == ["/m", "/m/files", "/m/files/a"])
    #expect(skipped == ["/m/store"])
  }
}
