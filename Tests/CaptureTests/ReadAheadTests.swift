#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import Capture
@testable import RadmindFormat
import StoreTestSupport
import TranscriptIO

/// fsdiff reads directories and hashes files on a second thread ahead of its walk
/// (``DirectoryPrefetcher``, ``ChecksumPrefetcher``). ``TreeCapture`` reads every directory and
/// hashes every file on the calling thread, in the same order: the two must agree byte for byte.
struct ReadAheadTests {
  /// fsdiff -C over `path` with these exclude patterns, as transcript text.
  func fsdiff(_ path: String, excludes: [String], digester: ContentDigester?) throws -> [UInt8] {
    var options = FsdiffOptions()
    options.digester = digester
    var command = LoadedCommandFile()
    command.excludes = excludes.map { Array($0.utf8) }
    var template = Array("/tmp/readahead-out.XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    unlink(String(cString: template))
    defer { close(fd) }
    let out = OutputBuffer(fd: fd)
    let run = FsdiffRun(options: options, commandFile: command, out: out, messages: out)
    try run.run(path: Array(path.utf8))
    try out.flush()
    var bytes = [UInt8](repeating: 0, count: Int(lseek(fd, 0, SEEK_END)))
    _ = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
    return bytes
  }

  /// The same tree through TreeCapture (no read-ahead), written as fsdiff writes it.
  func captured(_ path: String, excludes: [String], digester: ContentDigester?) throws -> [UInt8] {
    var capture = TreeCapture(root: "/")
    capture.digester = digester
    capture.includeAncestors = false
    capture.excludes = ExcludeRule(patterns: excludes.map { Array($0.utf8) })
    var bytes: [UInt8] = []
    try capture.capture(nodes: [Array(path.utf8)]) { LineWriter.append($0, to: &bytes) }
    return bytes
  }

  /// Wide (300 directories), deep (a chain of 40) and large (files of up to 3 MiB), with hard
  /// links across directories, excluded directories (one holding files, one holding a subtree)
  /// and more objects than the read-ahead holds at once (16384).
  func makeTree(_ s: Scratch) {
    s.sh("""
      mkdir t && cd t && i=0; while [ $i -lt 300 ]; do mkdir w$i; j=0; \
      while [ $j -lt $((i % 7)) ]; do echo $i.$j > w$i/f$j; j=$((j+1)); done; \
      [ $((i % 5)) -eq 0 ] && mkdir w$i/sub && echo s > w$i/sub/x; i=$((i+1)); done; \
      d=deep; mkdir -p $d; k=0; while [ $k -lt 40 ]; do d=$d/n$k; mkdir $d; echo $k > $d/f; k=$((k+1)); done; \
      mkdir many && (cd many && seq 1 17000 | xargs touch); \
      head -c 3145728 /dev/urandom > w1/big && ln w1/big w2/biglink && mkdir -p skip/a/b && echo z > skip/a/b/f; \
      mkdir w3/skipme && echo y > w3/skipme/f
      """)
  }

  @Test("fsdiff -C with read-ahead equals TreeCapture byte for byte (no checksums, sha1, excludes)")
  func readAheadMatchesDirectReading() throws {
    let s = Scratch()
    makeTree(s)
    let root = s.path + "/t"
    #expect(access(root + "/many/17000", F_OK) == 0, "the tree was not built")
    for excludes in [[], [root + "/skip", root + "/w3/skipme", root + "/w1?0"]] {
      let plain = try fsdiff(root, excludes: excludes, digester: nil)
      #expect(plain == (try captured(root, excludes: excludes, digester: nil)))
      #expect(plain.count > 17000 * 40)
      let sha1 = try fsdiff(root, excludes: excludes, digester: makeDigester(named: "sha1")!)
      #expect(sha1 == (try captured(root, excludes: excludes, digester: makeDigester(named: "sha1")!)))
    }
  }
}
