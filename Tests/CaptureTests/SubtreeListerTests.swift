#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import Capture
@testable import RadmindFormat
import StoreTestSupport
import TranscriptIO

/// fsdiff -C with no transcripts and no checksums lists the tree on two cores
/// (``SubtreeLister``); the sequential walk of ``FsdiffRun`` is the reference, byte for byte,
/// errors included.
struct SubtreeListerTests {
  struct Outcome: Equatable {
    var bytes: [UInt8]
    var error: [UInt8]?
  }

  func withOutput(_ body: (OutputBuffer) throws(CaptureError) -> Void) -> Outcome {
    var template = Array("/tmp/subtree-out.XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    unlink(String(cString: template))
    defer { close(fd) }
    let out = OutputBuffer(fd: fd)
    var failure: [UInt8]?
    do throws(CaptureError) { try body(out) } catch { failure = error.message }
    try? out.flush()
    var bytes = [UInt8](repeating: 0, count: Int(lseek(fd, 0, SEEK_END)))
    _ = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
    return Outcome(bytes: bytes, error: failure)
  }

  func fsdiff(_ path: String, excludes: [String], twoCores: Bool) -> Outcome {
    var command = LoadedCommandFile()
    command.excludes = excludes.map { Array($0.utf8) }
    return withOutput { out throws(CaptureError) in
      let run = FsdiffRun(options: FsdiffOptions(), commandFile: command, out: out, messages: out)
      run.subtreeListing = twoCores
      try run.run(path: Array(path.utf8))
    }
  }

  /// The lister driven directly: handing off at every directory, and with a tiny read-ahead
  /// limit so the worker waits for the writer.
  func listed(_ path: String, excludes: [String], maxBuffered: Int) -> Outcome {
    withOutput { out throws(CaptureError) in
      guard case .found(let root) = FilesystemObject.stat(Array(path.utf8)) else { throw CaptureError("no root") }
      let lister = SubtreeLister(order: PathOrder(), excludes: ExcludeRule(patterns: excludes.map { Array($0.utf8) }),
                                 maxBuffered: maxBuffered)
      lister.eagerHandOff = true
      var links = HardLinkGroups()
      try lister.run(root, links: &links, out: out)
    }
  }

  /// Odd names (LF, TAB, space, backslash, Latin-1 bytes, names that sort around `/`),
  /// symlinks, hard links across directories (one group's first link excluded), a FIFO, a
  /// character device, a 60-deep chain, a 400-wide directory of subdirectories and 5000 files.
  func makeTree(_ s: Scratch) {
    let r = s.sh("""
      set -e; mkdir t && cd t
      mkdir -p 'odd dir' a a.b a-b a/b 'x\\y'
      printf x > "$(printf 'odd dir/new\\nline')"; printf x > "$(printf 'tab\\there')"
      printf x > "$(printf 'lat\\351n')"; printf x > 'odd dir/sp ace'; printf x > 'x\\y/back\\slash'
      ln -s a/b link; ln -s /nonexistent dangling; ln -s 'odd dir' 'odd link'
      echo hl > a/first; ln a/first a.b/second; ln a/first zz-third
      echo ex > a-b/excluded-first; ln a-b/excluded-first a.b/kept-next
      mkfifo a/fifo; mknod a/null c 1 3
      d=deep; mkdir $d; k=0; while [ $k -lt 60 ]; do d=$d/n$k; mkdir $d; echo $k > $d/f; k=$((k+1)); done
      mkdir wide; i=0; while [ $i -lt 400 ]; do mkdir wide/w$i; [ $((i % 3)) -eq 0 ] && echo $i > wide/w$i/f; \
        [ $((i % 7)) -eq 0 ] && mkdir wide/w$i/s && echo s > wide/w$i/s/g; i=$((i+1)); done
      mkdir files && (cd files && seq 1 5000 | xargs touch)
      mkdir -p skip/a/b && echo z > skip/a/b/f
      """)
    #expect(r.status == 0, "tree not built: \(r.err)")
  }

  @Test("two-core listing equals the sequential walk byte for byte (odd names, links, devices, excludes)")
  func twoCoresMatchSequential() {
    let s = Scratch()
    makeTree(s)
    let root = s.path + "/t"
    for excludes in [[], [root + "/skip", root + "/a-b/excluded-first", root + "/wide/w1?", root + "/deep/n0/n1/*"]] {
      let sequential = fsdiff(root, excludes: excludes, twoCores: false)
      #expect(sequential.error == nil)
      #expect(sequential.bytes.count > 5000 * 40)
      #expect(fsdiff(root, excludes: excludes, twoCores: true) == sequential)
      for limit in [1, 1 << 20] {
        #expect(listed(root, excludes: excludes, maxBuffered: limit) == sequential, "limit \(limit)")
      }
    }
    let text = String(decoding: fsdiff(root, excludes: [], twoCores: true).bytes, as: UTF8.self)
    #expect(text.contains("h \(root)/a.b/second"))
    #expect(text.contains("p \(root)/a/fifo"))
    #expect(text.contains("c \(root)/a/null"))
  }

  @Test("a path too long stops the two-core listing after the same lines, with the same error")
  func errorsStopAtTheSamePlace() {
    let s = Scratch()
    let long = String(repeating: "n", count: 200)
    let r = s.sh("""
      set -e; mkdir t && cd t && mkdir a z && echo a > a/f && echo z > z/f
      mkdir -p m/\(Array(repeating: long, count: 21).joined(separator: "/"))
      """)
    #expect(r.status == 0, "tree not built: \(r.err)")
    let root = s.path + "/t"
    let sequential = fsdiff(root, excludes: [], twoCores: false)
    #expect(sequential.error.map { String(decoding: $0, as: UTF8.self).hasSuffix(": path too long") } == true)
    #expect(!sequential.bytes.isEmpty)
    #expect(fsdiff(root, excludes: [], twoCores: true) == sequential)
    #expect(listed(root, excludes: [], maxBuffered: 1) == sequential)
  }
}
