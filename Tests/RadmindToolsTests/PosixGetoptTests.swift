import Testing
@testable import RadmindTools

@Suite struct PosixGetoptTests {
  @Test("bundled flags with a glued argument: -Ccsha1")
  func bundled() {
    let g = PosixGetopt(["-Ccsha1", "path"], optionString: "ACc:K:")
    #expect(g.events == [.option("C", argument: nil), .option("c", argument: "sha1")])
    #expect(g.operands == ["path"])
  }

  @Test("GNU permutation: options after operands still count; -- ends options; - is an operand")
  func permutation() {
    let g = PosixGetopt(["a.T", "-I", "-", "--", "-o"], optionString: "Io:")
    #expect(g.events == [.option("I", argument: nil)])
    #expect(g.operands == ["a.T", "-", "-o"])
  }

  @Test("invalid options and a missing argument, with glibc's messages")
  func errors() {
    let g = PosixGetopt(["-x", "-o"], optionString: "Io:")
    #expect(g.events == [.invalid("x"), .missingArgument("o")])
    #expect(PosixGetopt.message(for: .invalid("x"), program: "lsort") == "lsort: invalid option -- 'x'\n")
    #expect(PosixGetopt.message(for: .missingArgument("o"), program: "lsort")
            == "lsort: option requires an argument -- 'o'\n")
  }

  @Test("an argument in the next word may start with a dash")
  func dashArgument() {
    let g = PosixGetopt(["-o", "-weird"], optionString: "o:")
    #expect(g.events == [.option("o", argument: "-weird")])
  }
}
