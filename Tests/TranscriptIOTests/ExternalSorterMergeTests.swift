import Foundation
import Glibc
import StoreTestSupport
import SystemCalls
import Testing
@testable import RadmindFormat
@testable import TranscriptIO

/// The final merge on two threads (a key range each, the upper one written from its exact
/// output offset), the runs it reads by range, and their sparse index.
@Suite struct ExternalSorterMergeTests {
  /// Lines with many equal paths (ties), escaped bytes (keys kept apart from the line), case
  /// variants (for -I), and lengths that put records across every read-buffer boundary.
  static func lines(count: Int, seed: UInt64 = 1) -> [[UInt8]] {
    var state = seed
    func next(_ n: Int) -> Int {
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return Int((state >> 33) % UInt64(n))
    }
    let stems = ["/usr/lib/x", "/usr/LIB/x", "/usr/lib/x\\by", "/usr/lib-x/", "/usr/lib/x/", "/a", "/usr/lib/x/deeper/still/y"]
    return (0 ..< count).map { i in
      var path = stems[next(stems.count)]
      if next(4) != 0 { path += String(next(200)) }
      let pad = String(repeating: "p", count: next(120))
      return Array("f \(path) 0644 \(i) \(pad)\n".utf8)
    }
  }

  /// The order the sorter must give: by decoded key, equal keys in reverse input order.
  static func expected(_ lines: [[UInt8]], order: PathOrder) -> [UInt8] {
    let keyed: [(key: [UInt8], index: Int)] = lines.enumerated().map { i, line in
      let token = line.split(separator: 0x20)[1]
      var key = [UInt8](repeating: 0, count: token.count)
      let n = Array(token).withUnsafeBytes { raw in key.withUnsafeMutableBufferPointer { order.writeKey(encoded: raw, to: $0.baseAddress!) } }
      return (Array(key[..<n]), i)
    }
    let sorted = keyed.sorted { a, b in
      let c = a.key.withUnsafeBufferPointer { x in b.key.withUnsafeBufferPointer { y in
        order.compareKeys(x.baseAddress ?? UnsafePointer(bitPattern: 1)!, x.count, y.baseAddress ?? UnsafePointer(bitPattern: 1)!, y.count)
      } }
      return c != 0 ? c < 0 : a.index > b.index
    }
    return sorted.flatMap { lines[$0.index] }
  }

  /// Sorts `lines` with `budget` and returns what reached the file, and whether the final merge
  /// ran on two threads.
  static func sort(_ lines: [[UInt8]], order: PathOrder, budget: Int, direct: Bool,
                   temporaryDirectory: String? = nil) throws -> (bytes: [UInt8], parallel: Bool) {
    var sorter = ExternalSorter(order: order, memoryBudget: budget, temporaryDirectory: temporaryDirectory)
    var tokens = LineTokens()
    for line in lines {
      try line.withUnsafeBytes { buf in
        tokens.split(buf)
        try sorter.add(line: buf, encodedPath: tokens.token(1, in: buf))
      }
    }
    let scratch = Scratch("merge2")
    defer { withExtendedLifetime(scratch) {} }
    let path = scratch.path + "/sorted"
    let fd = try Syscall.open(Array(path.utf8), [.readWrite, .create, .truncate], mode: 0o644)
    defer { Syscall.closeQuietly(fd) }
    let out = OutputBuffer(fd: fd, name: path)
    try sorter.finish(into: out, direct: direct)
    #expect(Syscall.currentOffset(fd) == Int64(lines.reduce(0) { $0 + $1.count }))
    return (Array(try Data(contentsOf: URL(fileURLWithPath: path))), sorter.mergedOnTwoThreads)
  }

  @Test("spilled runs and the last chunk merged on two threads give the one-thread bytes, ties in reverse input order",
        arguments: [false, true])
  func twoThreadsMatchOne(caseInsensitive: Bool) throws {
    let order = PathOrder(caseInsensitive: caseInsensitive)
    let lines = Self.lines(count: MergeSources.parallelMinimum + 5000)
    let want = Self.expected(lines, order: order)
    let parallel = try Self.sort(lines, order: order, budget: 1 << 20, direct: true)
    #expect(parallel.parallel)
    #expect(parallel.bytes == want)
    let single = try Self.sort(lines, order: order, budget: 1 << 20, direct: false)
    #expect(!single.parallel)
    #expect(single.bytes == want)
    // Nothing spilled: the last chunk's two halves alone are split between the threads.
    let inMemory = try Self.sort(lines, order: order, budget: 1 << 30, direct: true)
    #expect(inMemory.parallel)
    #expect(inMemory.bytes == want)
  }

  @Test("input already in order (the splitter comes from every run, not the last chunk) and all-equal keys")
  func skewedSplits() throws {
    let order = PathOrder.caseSensitive
    let sortedInput = Self.expected(Self.lines(count: MergeSources.parallelMinimum + 100, seed: 9), order: order)
      .split(separator: 0x0A).map { Array($0) + [0x0A] }
    let a = try Self.sort(sortedInput, order: order, budget: 1 << 20, direct: true)
    #expect(a.parallel && a.bytes == Self.expected(sortedInput, order: order))
    let same = (0 ..< MergeSources.parallelMinimum + 10).map { Array("f /same \($0)\n".utf8) }
    let b = try Self.sort(same, order: order, budget: 1 << 20, direct: true)
    #expect(b.bytes == same.reversed().flatMap { $0 })
  }

  @Test("a run read back through a small buffer, whole and by the ranges its sparse index marks")
  func runReadByRanges() throws {
    let order = PathOrder.caseSensitive
    var chunk = ExternalSorter.Chunk()
    var tokens = LineTokens()
    let lines = Self.lines(count: 3 * RunIndex.step + 17, seed: 3) + [Array(("f /long " + String(repeating: "L", count: 5000) + "\n").utf8)]
    for (i, line) in lines.enumerated() {
      line.withUnsafeBytes { buf in
        tokens.split(buf)
        let path = tokens.token(1, in: buf)
        let lineOffset = chunk.lines.count
        chunk.lines.append(buf)
        let keyOffset = chunk.keys.count
        let n = order.writeKey(encoded: path, to: chunk.keys.reserve(path.count))
        chunk.keys.count += n
        chunk.records.append(.init(keyOffset: keyOffset, keyLength: UInt32(n), lineOffset: UInt32(lineOffset),
                                   lineLength: UInt32(buf.count), sequence: UInt64(i)))
      }
    }
    defer { chunk.free() }
    chunk.sort(order: order)
    let scratch = Scratch("run")
    defer { withExtendedLifetime(scratch) {} }
    let run = try chunk.spill(in: scratch.path)
    defer { Syscall.closeQuietly(run.fd) }
    let want = chunk.records.map { Array(chunk.lines.slice(Int($0.lineOffset), Int($0.lineLength))) }
    #expect(run.index.offsets.count == 4 && run.index.totalLineBytes == Int64(lines.reduce(0) { $0 + $1.count }))
    func read(from: Int64, to: Int64) throws -> ([[UInt8]], [Int64]) {
      let reader = RunReader(fd: run.fd, bufferSize: 64, order: order, from: from, to: to)
      var got: [[UInt8]] = [], offsets: [Int64] = []
      while try reader.advance() {
        got.append(Array(reader.line))
        offsets.append(reader.recordOffset)
      }
      return (got, offsets)
    }
    let (all, offsets) = try read(from: 0, to: .max)
    #expect(all == want)
    for (k, offset) in run.index.offsets.enumerated() { #expect(offsets[k * RunIndex.step] == offset) }
    let (middle, _) = try read(from: run.index.offsets[1], to: run.index.offsets[2])
    #expect(middle == Array(want[RunIndex.step ..< 2 * RunIndex.step]))
    #expect(run.index.lineBytes[2] == Int64(want[..<(2 * RunIndex.step)].reduce(0) { $0 + $1.count }))
  }

  @Test("a full disk while spilling runs is thrown, not lost")
  func spillWriteError() throws {
    let scratch = Scratch("spillfull")
    defer { withExtendedLifetime(scratch) {} }
    let mountPoint = scratch.path + "/small"
    try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
    let mounted = try Processes.run(["/bin/mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mountPoint])
    #expect(mounted.status == 0, "cannot mount a tmpfs: this test needs root (CI runs as root)")
    guard mounted.status == 0 else { return }
    defer { _ = try? Processes.run(["/bin/umount", mountPoint]) }
    var thrown: SystemCallError?
    do { _ = try Self.sort(Self.lines(count: 20000), order: .caseSensitive, budget: 1 << 18, direct: true, temporaryDirectory: mountPoint) } catch {
      thrown = error as? SystemCallError
    }
    #expect(thrown?.errno == ENOSPC)
  }
}
