import SystemCalls
import Testing

/// The one path split and join (``BytePath``): bytes in, the same bytes out.
@Suite struct BytePathTests {
  static let odd: [UInt8] = [0xFF, 0xFE, 0x0A, 0x5C, 0x25]  // not UTF-8, a newline, `\`, `%`

  @Test("split keeps every byte: odd names, a doubled slash, the root, no slash, a trailing slash")
  func split() {
    #expect(BytePath.split([0x2F, 0x61] + Self.odd) == ([0x2F], [0x61] + Self.odd))
    #expect(BytePath.split(Self.odd + [0x2F, 0x2F] + Self.odd) == (Self.odd + [0x2F], Self.odd))
    #expect(BytePath.split(Self.odd) == ([0x2E], Self.odd))
    #expect(BytePath.split(Array("./a/".utf8)) == (Array("./a".utf8), []))
    #expect(BytePath.directory(of: Array("a/b".utf8)) == Array("a".utf8))
    #expect(BytePath.lastComponent(Array("a/b".utf8)) == Array("b".utf8))
    #expect(BytePath.split("/srv/st\u{e9}re/k") == ("/srv/st\u{e9}re", "k"))
  }

  @Test("parent: only a directory that has to exist before the name (none for `b` and `/b`)")
  func parent() {
    #expect(BytePath.parent(Array("./a/".utf8) + Self.odd) == Array("./a".utf8))
    #expect(BytePath.parent(Array("./b".utf8)) == [0x2E])
    #expect(BytePath.parent(Array("/b".utf8)) == nil)
    #expect(BytePath.parent(Self.odd) == nil)
  }

  @Test("join adds exactly one slash and drops none; child never doubles one")
  func join() {
    #expect(BytePath.join(Self.odd, Self.odd) == Self.odd + [0x2F] + Self.odd)
    #expect(BytePath.join(Array("d/".utf8), Array("n".utf8)) == Array("d//n".utf8))  // as radmind shows it
    #expect(BytePath.join([], Array("n".utf8)) == Array("/n".utf8))
    #expect(BytePath.child(Array("n".utf8), of: [0x2F]) == Array("/n".utf8))
    #expect(BytePath.child(Array("n".utf8), of: Array("d/".utf8)) == Array("d/n".utf8))
    #expect(BytePath.child(Self.odd, of: []) == Self.odd)
    #expect(BytePath.child(Self.odd, of: Array("d".utf8)) == Array("d/".utf8) + Self.odd)
    var walked = [UInt8](Array("/r".utf8))
    BytePath.append(Self.odd[...], to: &walked)
    #expect(walked == Array("/r/".utf8) + Self.odd)
  }
}
