import Testing
@testable import RadmindFormat

@Suite struct LineFormatTests {
  func parse(_ s: String) throws -> Entry {
    var p = TranscriptLineParser()
    return try p.parse(Array(s.utf8))
  }

  func written(_ e: Entry, prefix: Entry.Prefix? = nil) -> String {
    String(decoding: LineWriter.line(e, prefix: prefix), as: UTF8.self)
  }

  @Test("every line of spec §1.5 round-trips byte for byte", arguments: [
    "d ./root                               \t0755     0     0",
    "b ./root/dev/loop0                     \t0640     0     0     7     0",
    "c ./root/dev/null                      \t0666     0     0     1     3",
    "l ./root/etc/localtime                 \t0777     0     0 /usr/share/zoneinfo/UTC",
    "f ./root/etc/motd                      \t0644     0     0 1700000000       6 9XLTlvrpIGYocU+yzgD3LpTyJY8=",
    "h ./root/etc/motd.hard                 \t./root/etc/motd",
    "f ./root/my\\bfile.txt                  \t0644  1000   100 1700000000       2 b8+d+9R57YJpf+5xm5+MYQoR/yo=",
    "d ./root/spool                         \t1777     0     0",
    "p ./root/spool/fifo                    \t0600     0     0",
    "s ./root/spool/sock                    \t0700     0     0",
    "f ./t2/big                             \t0644     0     0         1 123456789 -",
    "f ./t2/small                           \t7777 1234567 7654321         5       0 -",
    "l ./t2/sym                             \t0777    33    44 tar\\bget\\bwith\\bspace",
    "d ./t2/this_is_a_very_long_directory_name_exceeding\t0755     0     0",
    "f ./root/f                             \t0000    -2    -2 -315619200       0 -",
  ])
  func roundTrip(_ line: String) throws {
    #expect(written(try parse(line)) == line + "\n")
  }

  @Test("prefixes keep the path padded to 37 bytes")
  func prefixes() throws {
    let e = try parse("- f ./root/new.conf 644 0 0 1700000900 4 -")
    #expect(e.prefix == .minus)
    #expect(written(e) == "- f ./root/new.conf                      \t0644     0     0 1700000900       4 -\n")
  }

  @Test("lenient numbers as radmind reads them")
  func lenient() throws {
    #expect(try parse("d ./a 0798 0 0").mode == 0o7)
    #expect(try parse("d ./a rwxr 0 0").mode == 0)
    #expect(try parse("d ./a 755 4294967294 x").uid == -2)
    #expect(try parse("d ./a 755 0 x").gid == 0)
    #expect(try parse("l ./a target").mode == 0o777)
  }

  @Test("reader errors worded as radmind's (spec §1.4)")
  func errors() {
    func err(_ s: String) -> String {
      do { _ = try parse(s); return "no error" } catch { return "\(error)" }
    }
    #expect(err("f ./a") == "minimum 3 arguments, got 2")
    #expect(err("-f ./a 1 2 3") == "-f is too long to be a type")
    #expect(err("q ./a 1 2 3") == "unknown file type 'q'")
    #expect(err("f ./a 0644 0 0 1 2") == "expected 8 arguments, got 7")
    #expect(err("d ./a 1 2") == "expected 5 or 6 arguments, got 4")
    #expect(err("l ./a 1 2 3") == "expected 3 or 6 arguments, got 5")
    #expect(err("h ./a") == "minimum 3 arguments, got 2")
    #expect(err("c ./a 1 2 3 4") == "expected 7 arguments, got 6")
    #expect(err("p ./a 1 2") == "expected 5 arguments, got 4")
    #expect(err("f ./a\\q 0644 0 0 1 2 -").hasPrefix("invalid escape"))
  }

  @Test("the codec escapes exactly five bytes and round-trips any bytes")
  func codec() {
    #expect(PathCodec.encode(Array("a b\tc\nd\re\\f".utf8)) == Array("a\\bb\\tc\\nd\\re\\\\f".utf8))
    var rng = SystemRandomNumberGenerator()
    for _ in 0 ..< 2000 {
      let raw = (0 ..< Int.random(in: 0 ... 20, using: &rng)).map { _ in UInt8.random(in: 1 ... 255, using: &rng) }
      #expect(PathCodec.decode(PathCodec.encode(raw)) == raw)
    }
    #expect(PathCodec.decode(Array("a\\qb".utf8)) == nil)
    #expect(PathCodec.decode(Array("a\\".utf8)) == nil)
  }

  @Test("the tokenizer agrees with a plain split", arguments: 0 ..< 4)
  func tokenizer(seed: Int) {
    let alphabet: [UInt8] = [0x20, 0x20, 0x09, 0x0A, 0x0D, 0x61, 0x62, 0x2F, 0x0B, 0xC3]
    var tokens = LineTokens()
    for length in 0 ..< 200 {
      let line = (0 ..< length).map { _ in alphabet.randomElement()! }
      let want = line.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A }).map(Array.init)
      line.withUnsafeBytes { buf in
        tokens.split(buf)
        #expect(tokens.count == want.count)
        for k in 0 ..< min(tokens.count, LineTokens.capacity) {
          #expect(Array(tokens.token(k, in: buf)) == want[k])
        }
      }
    }
  }

  @Test func orderChecker() {
    var c = OrderChecker(order: .caseSensitive)
    let results = ["/a", "/a/b", "/a b", "/a b", "/a/c"].map { c.accept(decoded: Array($0.utf8)) }
    // The fourth is a duplicate, the fifth out of order.
    #expect(results == [true, true, true, false, false])
  }
}
