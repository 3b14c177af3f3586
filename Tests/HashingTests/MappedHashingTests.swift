import Glibc
import StoreTestSupport
import Testing
@testable import Hashing

/// Large files are hashed through mapped windows: the digest must equal the read path's, and a
/// file that shrinks under a mapping (SIGBUS when a page past its new end is touched) must give
/// the clear "changed while being read" error, never a crash and never a checksum.
struct MappedHashingTests {
  let sha1 = try! DigestAlgorithm(named: "sha1")

  /// Bytes that differ from window to window, so a window hashed twice or skipped would show.
  func pattern(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 13) } }

  func reference(_ bytes: [UInt8]) -> [UInt8] {
    let d = sha1.makeDigester()
    d.update(bytes)
    return d.finalizeBase64()
  }

  @Test("a file over the threshold, not a whole number of windows, hashes as its bytes do")
  func mappedMatchesBytes() throws {
    let s = Scratch()
    let size = 2 * Int(FileHasher.mapWindow) + 12_345
    let bytes = pattern(size)
    let p = s.write("big", bytes)
    let h = FileHasher(algorithm: sha1)
    var windows = 0
    h.afterMapping = { windows += 1 }
    let r = try h.hash(path: Array(p.utf8)).get()
    #expect(windows == 3)
    #expect(r.bytesHashed == Int64(size) && r.size == Int64(size))
    #expect(r.checksum == reference(bytes))
    #expect(String(decoding: r.checksum, as: UTF8.self) == opensslBase64("sha1", p))
    // The same hasher, reused for a file just under the threshold (read, not mapped).
    let small = pattern(Int(FileHasher.mapThreshold) - 1)
    let q = s.write("small", small)
    windows = 0
    #expect(try h.hash(path: Array(q.utf8)).get().checksum == reference(small))
    #expect(windows == 0)
  }

  @Test("a file truncated after it is mapped and before it is hashed is an error, not a crash", arguments: [1, 2])
  func truncatedWhileMapped(window: Int) throws {
    let s = Scratch()
    let size = 3 * Int(FileHasher.mapWindow)
    let p = s.write("big", pattern(size))
    let h = FileHasher(algorithm: sha1)
    var mapped = 0
    h.afterMapping = {
      mapped += 1
      if mapped == window { #expect(truncate(p, 1000) == 0) }
    }
    let r = h.hash(path: Array(p.utf8))
    let hashedBefore = Int64(window - 1) * FileHasher.mapWindow
    #expect(r == .failure(.changedWhileReading(expectedSize: Int64(size), bytesRead: hashedBefore)))
    if case .failure(let e) = r {
      #expect(e.errno == EAGAIN)
      #expect(e.description == "file changed while being read (size \(size), read \(hashedBefore) bytes)")
    }
    // The hasher is still good for the next file.
    h.afterMapping = nil
    let bytes = pattern(size)
    let q = s.write("again", bytes)
    #expect(try h.hash(path: Array(q.utf8)).get().checksum == reference(bytes))
  }

  @Test("a file rewritten in place while mapped (same size, new mtime) is an error")
  func rewrittenWhileMapped() throws {
    let s = Scratch()
    let size = Int(FileHasher.mapWindow) + 1
    let p = s.write("big", pattern(size))
    var old = timespec(tv_sec: 1_000_000, tv_nsec: 0)
    var times = [old, old]
    #expect(utimensat(AT_FDCWD, p, &times, 0) == 0)
    let h = FileHasher(algorithm: sha1)
    h.afterMapping = {
      old.tv_sec += 1
      times = [old, old]
      _ = utimensat(AT_FDCWD, p, &times, 0)
    }
    #expect(h.hash(path: Array(p.utf8)) == .failure(.changedWhileReading(expectedSize: Int64(size), bytesRead: Int64(size))))
  }
}
