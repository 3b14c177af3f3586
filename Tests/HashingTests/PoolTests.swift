import Glibc
import StoreTestSupport
import Testing
@testable import Hashing

struct PoolTests {
  let sha1 = try! DigestAlgorithm(named: "sha1")

  @Test("results come back in submission order, place-keeping jobs included", arguments: [0, 1, 2, 4])
  func orderPreserved(threads: Int) throws {
    let s = Scratch()
    // Sizes vary a lot so that later small files finish before earlier big ones.
    var expected: [String] = []
    var jobs: [(path: [UInt8]?, context: Int)] = []
    let digester = sha1.makeDigester()
    for i in 0..<2000 {
      if i % 7 == 3 {
        jobs.append((nil, i)); expected.append("-")
        continue
      }
      let size = i % 50 == 0 ? 300_000 + i : i % 97
      let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) }
      let p = s.write("f\(i)", bytes)
      digester.reset(); digester.update(bytes)
      expected.append(String(decoding: digester.finalizeBase64(), as: UTF8.self))
      jobs.append((Array(p.utf8), i))
    }
    let pool = OrderedHashPool(algorithm: sha1, threads: threads, window: 16, bufferSize: 64 * 1024)
    var it = jobs.makeIterator()
    var got: [String] = []
    var order: [Int] = []
    pool.run(next: { it.next() }, deliver: { ctx, result in
      order.append(ctx)
      switch result {
      case nil: got.append("-")
      case .success(let d)?: got.append(String(decoding: d.checksum, as: UTF8.self))
      case .failure(let e)?: got.append("error \(e)")
      }
      return true
    })
    #expect(order == Array(0..<2000))
    #expect(got == expected)
  }

  @Test("a file that vanished before it was hashed is an ENOENT error in its place")
  func vanishingFile() throws {
    let s = Scratch()
    let a = s.write("a", Array("a".utf8)), b = s.write("b", Array("b".utf8)), c = s.write("c", Array("c".utf8))
    unlink(b)
    let pool = OrderedHashPool(algorithm: sha1, threads: 2, window: 4)
    var it = [(path: Optional(Array(a.utf8)), context: "a"), (Array(b.utf8), "b"), (Array(c.utf8), "c")].makeIterator()
    var seen: [String] = []
    pool.run(next: { it.next() }, deliver: { ctx, r in
      switch r! {
      case .success: seen.append("\(ctx) ok")
      case .failure(let e): seen.append("\(ctx) \(e.errno == ENOENT ? "ENOENT" : "\(e)")")
      }
      return true
    })
    #expect(seen == ["a ok", "b ENOENT", "c ok"])
  }

  @Test("returning false from deliver stops the run early")
  func stopsEarly() throws {
    let s = Scratch()
    let p = s.write("x", Array("x".utf8))
    let pool = OrderedHashPool(algorithm: sha1, threads: 2, window: 8)
    var n = 0
    var delivered = 0
    pool.run(next: { () -> (path: [UInt8]?, context: Int)? in
      n += 1
      return n <= 1000 ? (Array(p.utf8), n) : nil
    }, deliver: { _, _ in
      delivered += 1
      return delivered < 5
    })
    #expect(delivered == 5)
    #expect(n <= 5 + 8)  // bounded look-ahead: never more than the window past the consumer
  }

  @Test("look-ahead is bounded by the window")
  func boundedLookAhead() throws {
    let pool = OrderedHashPool(algorithm: sha1, threads: 2, window: 3)
    var produced = 0, consumed = 0, maxAhead = 0
    pool.run(next: { () -> (path: [UInt8]?, context: Int)? in
      produced += 1
      maxAhead = max(maxAhead, produced - consumed)
      return produced <= 100 ? (nil, produced) : nil
    }, deliver: { _, _ in consumed += 1; return true })
    #expect(consumed == 100)
    #expect(maxAhead <= 4)
  }
}

struct PoolStressTests {
  @Test("many place-keeping jobs and a tiny window never pair a result with the wrong job",
        arguments: [1, 2, 3])
  func placeKeepingStress(threads: Int) throws {
    let sha1 = try DigestAlgorithm(named: "sha1")
    let s = Scratch()
    let d = sha1.makeDigester()
    var files: [(path: [UInt8], sum: [UInt8])] = []
    for i in 0..<16 {
      let bytes = [UInt8](repeating: UInt8(i), count: i * 1000)
      let p = s.write("f\(i)", bytes)
      d.reset(); d.update(bytes)
      files.append((Array(p.utf8), d.finalizeBase64()))
    }
    let pool = OrderedHashPool(algorithm: sha1, threads: threads, window: 4, bufferSize: 4096)
    var n = 0
    var mismatches = 0, count = 0
    pool.run(next: { () -> (path: [UInt8]?, context: Int)? in
      n += 1
      if n > 20_000 { return nil }
      // Runs of place-keeping jobs let the consumer overtake the workers.
      if n % 5 != 0 { return (nil, -1) }
      let k = (n / 5) % 16
      return (files[k].path, k)
    }, deliver: { k, r in
      count += 1
      if k < 0 { if r != nil { mismatches += 1 }; return true }
      if (try? r?.get())?.checksum != files[k].sum { mismatches += 1 }
      return true
    })
    #expect(count == 20_000)
    #expect(mismatches == 0)
  }
}
