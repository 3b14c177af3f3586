#if canImport(Glibc)
import Glibc
#endif
import Archive
import Library

/// libFuzzer harness for what a DSL reads from a crafted archive: the tar reader (plain and
/// gzip-wrapped, with path checks) and the manifest reader. Each input is fed to all three; a
/// crash, a hang, a huge allocation (libFuzzer's -malloc_limit_mb) or a failed check is a bug:
/// - every entry has a size >= 0, and exactly that many data bytes can be read from it;
/// - a manifest that parses writes out as JSON that parses back to the same manifest.
///
/// Build and run (see README "Fuzzing"):
///   swift build -c release --scratch-path .build-fuzz --product loadsmith-fuzz-archive \
///     -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DFUZZING
///   SWIFT_BACKTRACE=enable=no .build-fuzz/release/loadsmith-fuzz-archive -max_total_time=290 \
///     -malloc_limit_mb=256 fixtures/fuzz-corpus-archive
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = UnsafeRawBufferPointer(start: data, count: size)
  ArchiveFuzzTargets.load(bytes)
  ArchiveFuzzTargets.tar(bytes, compressed: false)
  ArchiveFuzzTargets.tar(bytes, compressed: true)
  ArchiveFuzzTargets.manifest(bytes)
  return 0
}

enum ArchiveFuzzTargets {
  /// One unlinked file in memory (tmpfs), rewritten per input: the readers take a descriptor.
  nonisolated(unsafe) static let fd: CInt = {
    var template = Array("/dev/shm/loadsmith-fuzz-XXXXXX".utf8CString)
    var fd = mkstemp(&template)
    if fd < 0 {
      template = Array("/tmp/loadsmith-fuzz-XXXXXX".utf8CString)
      fd = mkstemp(&template)
    }
    if fd >= 0 { unlink(template) }
    return fd
  }()
  nonisolated(unsafe) static let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 16)

  static func load(_ bytes: UnsafeRawBufferPointer) {
    check(fd >= 0, "memfd_create")
    check(ftruncate(fd, 0) == 0, "ftruncate")
    var written = 0
    while written < bytes.count {
      let n = pwrite(fd, bytes.baseAddress! + written, bytes.count - written, off_t(written))
      check(n > 0, "pwrite")
      written += n
    }
    check(lseek(fd, 0, SEEK_SET) == 0, "lseek")
  }

  static func tar(_ bytes: UnsafeRawBufferPointer, compressed: Bool) {
    check(lseek(fd, 0, SEEK_SET) == 0, "lseek")
    do throws(ArchiveError) {
      // Small chunks: cheap per input, and headers straddle chunk boundaries.
      let reader = try ArchiveReader(fd: fd, path: "fuzz", compressed: compressed, prefetch: false, chunkSize: 4096)
      var entries = 0
      while let entry = try reader.next() {
        check(entry.size >= 0, "negative entry size")
        var read: Int64 = 0
        while case let n = try reader.readData(into: buffer), n > 0 { read += Int64(n) }
        check(read == entry.size, "read \(read) data bytes of an entry of \(entry.size)")
        entries += 1
        if !compressed { check(entries <= bytes.count / 512, "more entries than header blocks") }
      }
    } catch {
      _ = error.description  // every error must print
    }
  }

  static func manifest(_ bytes: UnsafeRawBufferPointer) {
    let text = String(decoding: bytes, as: UTF8.self)
    guard let parsed = try? Manifest(json: text, path: "fuzz.manifest.json") else { return }
    guard let again = try? Manifest(json: parsed.json, path: "again") else {
      check(false, "a parsed manifest's JSON does not parse")
      return
    }
    check(again == parsed, "manifest round trip")
  }

  static func check(_ condition: Bool, _ what: @autoclosure () -> String) {
    if !condition {
      print("fuzz invariant failed: \(what())")
      abort()
    }
  }
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
  _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
  _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@main struct FuzzDriver {
  static func main() {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv) { fuzzOneInput($0, $1) })
  }
}
#else
/// Without libFuzzer: replays the files given as arguments (a regression run over the corpus).
@main struct FuzzReplay {
  static func main() {
    var count = 0
    for path in CommandLine.arguments.dropFirst() {
      guard let f = fopen(path, "rb") else { continue }
      var bytes: [UInt8] = []
      var buf = [UInt8](repeating: 0, count: 65536)
      while true {
        let n = fread(&buf, 1, buf.count, f)
        if n <= 0 { break }
        bytes.append(contentsOf: buf[..<n])
      }
      fclose(f)
      bytes.withUnsafeBufferPointer { _ = fuzzOneInput($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
      count += 1
    }
    print("replayed \(count) inputs")
  }
}
#endif
