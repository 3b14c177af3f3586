import Testing
@testable import RadmindFormat

/// The §5.4 table: patterns against the tree
/// `./root/{Cache/c,file1,file2,fileA,logs/app1.log,logs/app12.log,logs/app007.log,logs/x.txt,q?,spool/a,spool/sub/b,we*ird}`.
/// Expected sets are written by hand from the spec (excluded directories also hide their subtrees;
/// here only the paths a pattern matches itself are listed).
struct WildcardTableTests {
  static let tree = [
    "./root/Cache", "./root/Cache/c", "./root/file1", "./root/file2", "./root/fileA", "./root/logs",
    "./root/logs/app007.log", "./root/logs/app1.log", "./root/logs/app12.log", "./root/logs/x.txt",
    "./root/q?", "./root/spool", "./root/spool/a", "./root/spool/sub", "./root/spool/sub/b", "./root/we*ird",
  ]

  static func matched(_ pattern: String, caseInsensitive: Bool = false) -> Set<String> {
    Set(tree.filter { Wildcard.matches(Array(pattern.utf8), Array($0.utf8), caseInsensitive: caseInsensitive) })
  }

  @Test("an exact directory path matches only the directory")
  func exactDirectory() { #expect(Self.matched("./root/spool") == ["./root/spool"]) }

  @Test("* after a slash matches children and, crossing /, grandchildren")
  func starChildren() {
    #expect(Self.matched("./root/spool/*") == ["./root/spool/a", "./root/spool/sub", "./root/spool/sub/b"])
  }

  @Test("<1-10> matches a whole digit run by value, leading zeros ignored")
  func numericRange() {
    #expect(Self.matched("./root/logs/app<1-10>.log") == ["./root/logs/app007.log", "./root/logs/app1.log"])
  }

  @Test("<0-1000>* matches any run in range followed by anything")
  func numericRangeStar() {
    #expect(Self.matched("./root/logs/app<0-1000>*") ==
      ["./root/logs/app007.log", "./root/logs/app1.log", "./root/logs/app12.log"])
  }

  @Test("[12] (two distinct members) matches any single byte")
  func classTwoMembers() {
    #expect(Self.matched("./root/file[12]") == ["./root/file1", "./root/file2", "./root/fileA"])
  }

  @Test("[1] matches any byte except 1")
  func classOneMember() { #expect(Self.matched("./root/file[1]") == ["./root/file2", "./root/fileA"]) }

  @Test("{Cache,logs} matches either alternative")
  func alternativesWhole() { #expect(Self.matched("./root/{Cache,logs}") == ["./root/Cache", "./root/logs"]) }

  @Test("fil{e1,e2} matches a literal alternative then the rest")
  func alternativesPart() { #expect(Self.matched("./root/fil{e1,e2}") == ["./root/file1", "./root/file2"]) }

  @Test("*b crosses / and matches any path ending in b")
  func starCrossesSlash() {
    #expect(Self.matched("./root/*b") == ["./root/spool/sub", "./root/spool/sub/b"])
  }

  @Test("*/c matches in any directory")
  func leadingStar() { #expect(Self.matched("*/c") == ["./root/Cache/c"]) }

  @Test("? matches exactly one byte")
  func question() { #expect(Self.matched("./root/q?") == ["./root/q?"]) }

  @Test("literal case matters unless -I")
  func caseFolding() {
    #expect(Self.matched("./root/FILE1").isEmpty)
    #expect(Self.matched("./root/FILE1", caseInsensitive: true) == ["./root/file1"])
  }

  @Test("a decoded \\* matches a literal star")
  func escapedStar() { #expect(Self.matched("./root/we\\*ird") == ["./root/we*ird"]) }
}

struct WildcardEdgeTests {
  func m(_ p: String, _ s: String, _ ci: Bool = false) -> Bool {
    Wildcard.matches(Array(p.utf8), Array(s.utf8), caseInsensitive: ci)
  }

  @Test("* followed by a pattern that only matches empty never matches at the end")
  func starEmptyTail() {
    #expect(!m("a*{,x}", "a"))
    #expect(!m("a*{,x}", "ab"))
    #expect(m("a{,x}", "a"))
  }

  @Test("malformed and empty classes and ranges never match")
  func malformed() {
    #expect(!m("f[]", "fa"))
    #expect(!m("f[ab", "fa"))
    #expect(!m("x<1->", "x1"))
    #expect(!m("x<1-5", "x1"))
    #expect(!m("x<5-1>", "x3"))
    #expect(!m("x<0-9>", "x0012"))
    #expect(!m("{a{b},c}", "c"))
    #expect(!m("{a,b", "a"))
  }

  @Test("nothing reads past the end of the path")
  func pastTheEnd() {
    #expect(!m("ab?", "ab"))
    #expect(!m("ab[xy]", "ab"))
    #expect(!m("ab<1-2>", "ab"))
    #expect(!m("abc", "ab"))
  }

  @Test("a trailing backslash matches the end of the path")
  func trailingBackslash() {
    #expect(m("ab\\", "ab"))
    #expect(!m("ab\\", "abc"))
  }

  @Test("[aa] matches anything but a; -I folds sets and alternatives")
  func setFolding() {
    #expect(m("[aa]", "b"))
    #expect(!m("[aa]", "a"))
    #expect(!m("[a]", "A", true))
    #expect(m("{FOO,bar}x", "foox", true))
  }
}
