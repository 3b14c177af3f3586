import Glibc
import StoreTestSupport
import Testing
@testable import Hashing

/// Reference digest through the openssl command line, base64 as radmind prints it.
func opensslBase64(_ name: String, _ path: String) -> String {
  let cmd = "openssl dgst -\(name) -binary '\(path)' | base64 -w0"
  guard let f = popen(cmd, "r") else { return "?" }
  var out: [UInt8] = []
  var buf = [UInt8](repeating: 0, count: 256)
  while true {
    let n = fread(&buf, 1, buf.count, f)
    if n <= 0 { break }
    out += buf[0..<n]
  }
  pclose(f)
  return String(decoding: out, as: UTF8.self)
}

struct FileHasherTests {
  let sha1 = try! DigestAlgorithm(named: "sha1")

  @Test("a small file is hashed with its size and mtime")
  func smallFile() throws {
    let s = Scratch()
    let p = s.write("hello", Array("hello\n".utf8))
    let h = FileHasher(algorithm: sha1)
    let r = try h.hash(path: Array(p.utf8)).get()
    #expect(r.bytesHashed == 6 && r.size == 6)
    #expect(String(decoding: r.checksum, as: UTF8.self) == "9XLTlvrpIGYocU+yzgD3LpTyJY8=")
    var st = stat()
    stat(p, &st)
    #expect(r.mtime == Int64(st.st_mtim.tv_sec))
  }

  @Test("files larger than the buffer match openssl dgst", arguments: [0, 1, 4095, 4096, 65537, 3_000_001])
  func largerThanBuffer(size: Int) throws {
    let s = Scratch()
    var bytes = [UInt8](repeating: 0, count: size)
    var x: UInt32 = 12345
    for i in 0..<size { x = x &* 1103515245 &+ 12345; bytes[i] = UInt8(x >> 24) }
    let p = s.write("f", bytes)
    let h = FileHasher(algorithm: sha1, bufferSize: 64 * 1024)
    let r = try h.hash(path: Array(p.utf8)).get()
    #expect(r.bytesHashed == Int64(size))
    #expect(String(decoding: r.checksum, as: UTF8.self) == opensslBase64("sha1", p))
  }

  @Test("a missing file is an open error with ENOENT")
  func missing() {
    let h = FileHasher(algorithm: sha1)
    #expect(h.hash(path: Array("/nonexistent/x".utf8)) == .failure(.system(call: "open", errno: ENOENT)))
  }

  @Test("an unreadable file is an open error with EACCES (when not root) or reads fine as root")
  func unreadable() throws {
    let s = Scratch()
    let p = s.write("secret", Array("x".utf8))
    chmod(p, 0)
    let r = FileHasher(algorithm: sha1).hash(path: Array(p.utf8))
    if geteuid() == 0 {
      #expect((try? r.get())?.bytesHashed == 1)
    } else {
      #expect(r == .failure(.system(call: "open", errno: EACCES)))
    }
  }

  @Test("a directory is a read error (EISDIR), never a checksum")
  func directory() {
    let s = Scratch()
    let r = FileHasher(algorithm: sha1).hash(path: Array(s.path.utf8))
    #expect(r == .failure(.system(call: "read", errno: EISDIR)))
  }

  @Test("fewer bytes than fstat reported (a file shrinking under the reader) is an error")
  func shrinkingFile() throws {
    let s = Scratch()
    let p = s.write("shrink", [UInt8](repeating: 7, count: 100_000))
    let fd = open(p, O_RDONLY)
    defer { close(fd) }
    // Deterministic stand-in for a truncation during the read: start 10 bytes in, so the reader
    // meets end of file 10 bytes before the size fstat gave.
    lseek(fd, 10, SEEK_SET)
    let r = FileHasher(algorithm: sha1, bufferSize: 4096).hash(fd: fd)
    #expect(r == .failure(.changedWhileReading(expectedSize: 100_000, bytesRead: 99_990)))
  }

  @Test("a file truncated by another thread while it is read is an error, never a checksum")
  func truncatedConcurrently() throws {
    let s = Scratch()
    let size = 64 << 20
    let p = s.write("big", [UInt8](repeating: 3, count: size))
    // Truncate from a second thread as soon as possible; whatever the timing, the hasher must
    // either finish before the truncation (full size, right digest) or report the change.
    final class Box: @unchecked Sendable { let path: String; init(_ p: String) { path = p } }
    let box = Box(p)
    var tid = pthread_t()
    let arg = Unmanaged.passRetained(box).toOpaque()
    pthread_create(&tid, nil, { raw in
      let b = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
      usleep(2000)
      truncate(b.path, 1000)
      return nil
    }, arg)
    let r = FileHasher(algorithm: sha1, bufferSize: 64 * 1024).hash(path: Array(p.utf8))
    pthread_join(tid, nil)
    switch r {
    case .success(let d):
      // Read entirely before or entirely after the truncation: the digest must be that of
      // exactly the bytes counted.
      #expect(d.bytesHashed == Int64(size) || d.bytesHashed == 1000)
      let reference = sha1.makeDigester()
      reference.update([UInt8](repeating: 3, count: Int(d.bytesHashed)))
      #expect(d.checksum == reference.finalizeBase64())
    case .failure(let e):
      #expect(e.errno == EAGAIN)
    }
  }

  @Test("md4 hashes the file (size counted) with an empty checksum")
  func md4File() throws {
    let s = Scratch()
    let p = s.write("hello", Array("hello\n".utf8))
    let r = try FileHasher(algorithm: DigestAlgorithm(named: "md4")).hash(path: Array(p.utf8)).get()
    #expect(r.bytesHashed == 6 && r.checksum.isEmpty)
  }
}
