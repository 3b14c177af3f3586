import Glibc
import StoreTestSupport
import Testing
@testable import Hashing

struct AppleSingleTests {
  @Test("the 62-byte header is magic, version, 16 zeros, 3 entries for finder info, rsrc, data")
  func headerBytes() {
    let h = AppleSingle.header(resourceForkLength: 5, dataForkLength: 0x0102)
    #expect(h.count == 62)
    #expect(Array(h[0..<26]) == [0, 5, 0x16, 0, 0, 2, 0, 0] + [UInt8](repeating: 0, count: 16) + [0, 3])
    #expect(Array(h[26..<38]) == [0, 0, 0, 9, 0, 0, 0, 62, 0, 0, 0, 32])
    #expect(Array(h[38..<50]) == [0, 0, 0, 2, 0, 0, 0, 94, 0, 0, 0, 5])
    #expect(Array(h[50..<62]) == [0, 0, 0, 1, 0, 0, 0, 99, 0, 0, 0x01, 0x02])
  }

  @Test("an a-file's checksum is the digest of header + finder info + rsrc + data, and its size 94+R+D")
  func streamDigest() throws {
    let s = Scratch()
    let data = Array("data fork\n".utf8)
    let p = s.write("data", data)
    let finder = (0..<32).map { UInt8($0) }
    let rsrc = Array("resource!".utf8)
    let sha1 = try DigestAlgorithm(named: "sha1")
    let fd = open(p, O_RDONLY)
    defer { close(fd) }
    let r = try rsrc.withUnsafeBytes {
      try FileHasher(algorithm: sha1).hashAppleSingle(finderInfo: finder, resourceFork: $0, dataFork: fd).get()
    }
    let stream = AppleSingle.header(resourceForkLength: UInt32(rsrc.count), dataForkLength: UInt32(data.count))
      + finder + rsrc + data
    #expect(r.size == Int64(94 + rsrc.count + data.count))
    #expect(r.bytesHashed == r.size)
    // Reference: the flat stream written to a file and hashed like any stored server file.
    let flat = s.write("flat", stream)
    let ref = try FileHasher(algorithm: sha1).hash(path: Array(flat.utf8)).get()
    #expect(r.checksum == ref.checksum)
    #expect(String(decoding: r.checksum, as: UTF8.self) == opensslBase64("sha1", flat))
    // And the stored stream passes the lcksum -A check with its own size.
    let header = Array(stream[0..<62])
    #expect(header.withUnsafeBytes { AppleSingle.declaredSize(header: $0) } == .success(Int64(stream.count)))
  }

  @Test("a corrupted header is reported with radmind's words")
  func corrupted() {
    var h = AppleSingle.header(resourceForkLength: 5, dataForkLength: 7)
    h[3] = 1
    #expect(h.withUnsafeBytes { AppleSingle.declaredSize(header: $0) } == .failure(.invalidHeader))
    h = AppleSingle.header(resourceForkLength: 5, dataForkLength: 7)
    h[45] = 95  // low byte of the resource fork offset
    #expect(h.withUnsafeBytes { AppleSingle.declaredSize(header: $0) } == .failure(.incorrectResourceForkOffset))
    #expect(AppleSingle.FormatError.incorrectResourceForkOffset.description == "incorrect rsrc fork offset")
  }
}
