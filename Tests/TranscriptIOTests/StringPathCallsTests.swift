import StoreTestSupport
import SystemCalls
import Testing
@testable import TranscriptIO

/// The calls on the store's `String` paths keep the messages the store's own wrappers gave:
/// a failed listing names `opendir`, a rename names both paths, and so on.
@Suite struct StringPathCallsTests {
  @Test("a listing whose directory cannot be opened names opendir, as radmind's messages do")
  func listingNamesOpendir() throws {
    let scratch = Scratch("stringpaths")
    let missing = scratch.url("missing")
    do {
      _ = try Syscall.listDirectory(missing)
      Issue.record("listing a missing directory succeeded")
    } catch {
      #expect(error.detailed == "\(missing): opendir: No such file or directory")
    }
    scratch.write("b", "x")
    scratch.mkdir("a")
    #expect(try Syscall.listDirectoryNames(scratch.path).sorted() == ["a", "b"])
  }

  @Test("a failed rename names both paths, from -> to")
  func renameNamesBoth() throws {
    let scratch = Scratch("stringpaths")
    let from = scratch.url("from"), to = scratch.url("to")
    do {
      try Syscall.renameShowingBoth(from, to)
      Issue.record("renaming a missing file succeeded")
    } catch {
      #expect(error.detailed == "\(from) -> \(to): rename: No such file or directory")
    }
    scratch.write("from", "x")
    try Syscall.renameShowingBoth(from, to)
    #expect(Syscall.kind(from) == .missing && Syscall.kind(to) == .file)
  }

  @Test("kind tells missing, file, directory and symlink apart without following a symlink")
  func kinds() throws {
    let scratch = Scratch("stringpaths")
    scratch.write("f", "x")
    scratch.mkdir("d")
    try Syscall.symlink(Array("d".utf8), at: Array(scratch.url("l").utf8))
    #expect(Syscall.kind(scratch.url("none")) == .missing)
    #expect(Syscall.kind(scratch.url("f")) == .file)
    #expect(Syscall.kind(scratch.url("d")) == .directory)
    #expect(Syscall.kind(scratch.url("l")) == .symlink)
    #expect(Syscall.symlinkTarget(scratch.url("l")) == "d")
    #expect(Syscall.symlinkTarget(scratch.url("f")) == nil)
    #expect(Syscall.exists(scratch.url("l")) && !Syscall.exists(scratch.url("none")))
  }

  @Test("makeDirectoryIfMissing accepts what exists and reports a missing parent")
  func makeDirectoryIfMissing() throws {
    let scratch = Scratch("stringpaths")
    try Syscall.makeDirectoryIfMissing(scratch.url("d"))
    try Syscall.makeDirectoryIfMissing(scratch.url("d"))
    #expect(Syscall.kind(scratch.url("d")) == .directory)
    do {
      try Syscall.makeDirectoryIfMissing(scratch.url("no/d"))
      Issue.record("mkdir under a missing parent succeeded")
    } catch {
      #expect(error.detailed == "\(scratch.url("no/d")): mkdir: No such file or directory")
    }
  }

  @Test("readText reads a small file whole, gives nil for nothing, and refuses a symlink")
  func readText() throws {
    let scratch = Scratch("stringpaths")
    scratch.write("meta", "a=1\nb=2\n")
    #expect(try RegularFile.readText(scratch.url("meta")) == "a=1\nb=2\n")
    #expect(try RegularFile.readText(scratch.url("none")) == nil)
    try Syscall.symlink(Array("meta".utf8), at: Array(scratch.url("link").utf8))
    #expect(RegularFile.typeIfNotRegular(scratch.url("link")) == "a symlink")
    #expect(RegularFile.typeIfNotRegular(scratch.url("meta")) == nil)
    do {
      _ = try RegularFile.readText(scratch.url("link"))
      Issue.record("readText followed a symlink")
    } catch {
      #expect(error.description == "\(scratch.url("link")): is a symlink, not a regular file")
    }
  }

  @Test("AtomicFile.replace writes the whole text with the mode asked for")
  func replace() throws {
    let scratch = Scratch("stringpaths")
    let path = scratch.url("out")
    try AtomicFile.replace(path, with: "one\n")
    try AtomicFile.replace(path, with: "two\n", mode: 0o600)
    #expect(try RegularFile.readText(path) == "two\n")
    #expect(try Syscall.lstat(path).st_mode & 0o777 == 0o600 & ~Syscall.umask)
  }
}
