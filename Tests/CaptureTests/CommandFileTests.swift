#if canImport(Glibc)
import Glibc
#endif
import StoreTestSupport
import Testing
@testable import Capture
@testable import RadmindFormat
import TranscriptIO

func loadError(_ kfile: String, form: PathForm = .relative) -> String? {
  let loader = CommandFileLoader(form: form, order: PathOrder(), checksumming: false)
  do { _ = try loader.load(path: Array(kfile.utf8)); return nil } catch { return error.description }
}

struct CommandFileParserTests {
  func parse(_ s: String) throws(CommandFileLineError) -> CommandFileLine? {
    var p = CommandFileLineParser()
    return try p.parse(Array(s.utf8))
  }

  @Test("the type is the first byte of its token; - must be its own token")
  func typeLetters() throws {
    #expect(try parse("positive base.T") == CommandFileLine(kind: .positive, isRemoval: false, argument: Array("base.T".utf8)))
    #expect(try parse("-\tx  ./a*") == CommandFileLine(kind: .exclude, isRemoval: true, argument: Array("./a*".utf8)))
    #expect(try parse("   # comment") == nil)
    #expect(try parse("") == nil)
  }

  @Test("radmind's messages for malformed lines")
  func errors() {
    #expect(throws: CommandFileLineError.wrongArgumentCount(got: 3)) { try parse("p base.T extra") }
    #expect(throws: CommandFileLineError.wrongArgumentCount(got: 1)) { try parse("p") }
    #expect(throws: CommandFileLineError.invalidType(token: Array("zap".utf8))) { try parse("zap x") }
    #expect(throws: CommandFileLineError.invalidType(token: Array("-p".utf8))) { try parse("-p x") }
    #expect(throws: CommandFileLineError.minusIncludeNotSupported) { try parse("- k other.K") }
    #expect(CommandFileLineError.invalidType(token: Array("q".utf8)).description == "'q' invalid")
  }
}

struct CommandFileLoaderTests {
  @Test("includes resolve against the top-level kdir; a second inclusion is a loop")
  func includeLoop() {
    let s = Scratch()
    s.sh("mkdir sub")
    s.write("command.K", "k sub/inc.K\nk sub/inc.K\n")
    s.write("sub/inc.K", "x ./a\n")
    #expect(loadError(s.path + "/command.K") ==
      "command file \(s.path)/command.K: line 2: command file loop: sub/inc.K already included")
  }

  @Test("a missing transcript is fatal with its composed path")
  func missingTranscript() {
    let s = Scratch()
    s.write("command.K", "p /x/abs.T\n")
    #expect(loadError(s.path + "/command.K") == "\(s.path)//x/abs.T: No such file or directory")
  }

  @Test("a missing special.T is fatal only while s lines remain")
  func specialTranscript() {
    let s = Scratch()
    s.write("command.K", "s ./etc/hostname\n")
    #expect(loadError(s.path + "/command.K") == "\(s.path)/special.T: No such file or directory")
    s.write("command.K", "s ./etc/hostname\n- s ./etc/hostname\n")
    #expect(loadError(s.path + "/command.K") == nil)
  }

  @Test("minus lines remove transcripts, excludes and specials; precedence is last listed first")
  func minusAndPrecedence() throws {
    let s = Scratch()
    s.write("a.T", "d . 0755 0 0\n")
    s.write("b.T", "d . 0700 0 0\n")
    s.write("command.K", "p a.T\np b.T\nn a.T\n- n a.T\nx /tmp/*\nx ./keep\n- x ./keep\n")
    let loader = CommandFileLoader(form: .relative, order: PathOrder(), checksumming: false)
    let loaded = try loader.load(path: Array((s.path + "/command.K").utf8))
    #expect(loaded.transcripts.map { String(decoding: $0.shortName, as: UTF8.self) } == ["b.T", "a.T"])
    #expect(loaded.excludes == [Array("./tmp/*".utf8)])
  }

  @Test("syntax errors name the file being read and its line; a missing final newline is too long")
  func syntaxErrors() {
    let s = Scratch()
    s.write("command.K", "# c\np base.T extra\n")
    #expect(loadError(s.path + "/command.K") == "command file \(s.path)/command.K: line 2: expected 2 arguments, got 3")
    s.write("command.K", "x ./a")
    #expect(loadError(s.path + "/command.K") == "command file \(s.path)/command.K: line 1: line too long")
    #expect(loadError(s.path + "/none.K") == "\(s.path)/none.K: No such file or directory")
  }

  @Test("the checker reports every problem, not just the first")
  func checkerReportsAll() {
    let s = Scratch()
    s.write("command.K", "p missing.T\nq bad\nk inc.K\nk inc.K\n")
    s.write("inc.K", "p a b c\n")
    var lines: [String] = []
    let count = CommandFileValidation.check(path: s.path + "/command.K") { lines.append($0) }
    #expect(count == 4)
    #expect(lines.contains("command file \(s.path)/command.K: line 2: 'q' invalid"))
    #expect(lines.contains("command file \(s.path)/inc.K: line 1: expected 2 arguments, got 4"))
  }
}
