import Foundation
import Glibc
import Testing
@testable import Archive

struct FullDiskTests {
  @Test("a full disk (1 MiB tmpfs) leaves neither the archive nor a temporary file")
  func fullDiskLeavesNothing() throws {
    let dir = TempDir()
    defer { dir.cleanup() }
    let mountPoint = dir.sub("small")
    mkdir(mountPoint, 0o755)
    guard (try? run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint]))?.status == 0 else {
      Issue.record("cannot mount a tmpfs: this test needs root (CI runs as root); it fails rather than passing unchecked")
      return
    }
    defer { _ = try? run("/bin/umount", [mountPoint]) }

    // 3 MiB of random bytes cannot compress below the 1 MiB limit.
    let data = randomBytes(3 << 20)
    let archive = Array((mountPoint + "/out.tar.gz").utf8)
    var thrown: Error?
    do {
      try withTempFile(data) { source, _ in
        try writeAtomically(at: archive) { fd in
          let writer = try ArchiveWriter(fd: fd)
          try writer.addFile(path: Array("random.bin".utf8), fd: source,
                             metadata: EntryMetadata(mode: 0o644, uid: 0, gid: 0, mtime: 0, size: Int64(data.count)))
          try writer.finish()
        }
      }
    } catch { thrown = error }
    guard case .systemCall(_, _, ENOSPC)? = thrown as? ArchiveError else {
      Issue.record("expected ENOSPC, got \(String(describing: thrown))"); return
    }
    #expect(String(describing: thrown!).contains("No space left on device"))
    let left = try FileManager.default.contentsOfDirectory(atPath: mountPoint)
    #expect(left.isEmpty, "left behind: \(left)")
  }
}
