import Foundation
import StoreTestSupport
import Testing

/// `loadsmith --help`, each command's discussion, the man pages in docs/man and the completion
/// scripts, as people read them.
struct HelpTextTests {
  /// One command of `--experimental-dump-help` (swift-argument-parser's description of the tree).
  struct Command {
    var path: [String]
    var discussion: String
    var options: [String]
  }

  static func commands() throws -> [Command] {
    let r = try CLI.run(["--experimental-dump-help"])
    #expect(r.status == 0, "\(r.err)")
    let root = try #require((try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])?["command"] as? [String: Any])
    var out: [Command] = []
    func walk(_ c: [String: Any], _ path: [String]) {
      let name = c["commandName"] as? String ?? "?"
      let here = path + [name]
      let shown = (c["arguments"] as? [[String: Any]] ?? []).filter { $0["shouldDisplay"] as? Bool ?? true }
      let options = shown.flatMap { a in
        (a["names"] as? [[String: Any]] ?? []).compactMap { n in (n["kind"] as? String) == "long" ? n["name"] as? String : nil }
      }
      out.append(Command(path: here, discussion: c["discussion"] as? String ?? "", options: options))
      for s in c["subcommands"] as? [[String: Any]] ?? [] { walk(s, here) }
    }
    walk(root, [])
    return out
  }

  @Test("--help lists the subcommands in four groups, each subcommand once")
  func groupedHelp() throws {
    let help = try CLI.run(["--help"]).out
    let groups = ["STORE LIFE CYCLE SUBCOMMANDS:", "DEFINITIVE SOFTWARE LIBRARY SUBCOMMANDS:",
                  "INSPECTION AND TRANSCRIPTS SUBCOMMANDS:", "RADMIND TOOLS SUBCOMMANDS:"]
    var last = help.startIndex
    for g in groups {
      let range = try #require(help.range(of: g), "\(g) missing from:\n\(help)")
      #expect(range.lowerBound > last, "\(g) out of order")
      last = range.lowerBound
    }
    let listed = help.split(separator: "\n").filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
      .compactMap { $0.split(separator: " ").first.map(String.init) }.filter { !$0.hasPrefix("-") }
    for name in ["init", "capture", "build", "release", "promote", "rollback", "command", "prune", "recover",
                 "archive", "restore", "dsl", "key", "status", "log", "verify", "diff", "check", "name", "hash",
                 "concat", "serve", "fsdiff", "lmerge", "lcksum", "lsort", "twhich"] {
      #expect(listed.filter { $0 == name }.count == 1, "\(name): \(listed)")
    }
    let capture = try #require(help.range(of: "\n  capture "))
    let dsl = try #require(help.range(of: "\n  dsl "))
    let lsort = try #require(help.range(of: "\n  lsort "))
    #expect(capture.lowerBound < help.range(of: groups[1])!.lowerBound)
    #expect(dsl.lowerBound > help.range(of: groups[1])!.lowerBound && dsl.lowerBound < help.range(of: groups[2])!.lowerBound)
    #expect(lsort.lowerBound > help.range(of: groups[3])!.lowerBound)
  }

  @Test("every discussion is reflowed prose: no line break inside a paragraph")
  func reflowedDiscussions() throws {
    for c in try Self.commands() {
      for paragraph in c.discussion.components(separatedBy: "\n\n") {
        let lines = paragraph.split(separator: "\n", omittingEmptySubsequences: false)
        // A break is kept only before an indented line or a list item (examples, lists).
        for line in lines.dropFirst() {
          #expect(line.hasPrefix(" ") || line.hasPrefix("- "),
                  "loadsmith \(c.path.dropFirst().joined(separator: " ")): a hard line break before \"\(line.prefix(40))\"")
        }
      }
    }
  }

  @Test("docs/man has a page for every command, naming each of its long options (run scripts/make-docs.sh)")
  func manPagesCurrent() throws {
    for c in try Self.commands() {
      let page = CLI.packageRoot.appendingPathComponent("docs/man/\(c.path.joined(separator: ".")).1").path
      let text = try #require(try? String(contentsOfFile: page, encoding: .utf8), "no \(page): run scripts/make-docs.sh")
      for option in c.options {
        #expect(text.contains("Fl -\(option)"), "\(page) lacks --\(option): run scripts/make-docs.sh")
      }
    }
  }

  @Test("completion scripts for bash, zsh and fish know the subcommands and their options")
  func completions() throws {
    for shell in ["bash", "zsh", "fish"] {
      let r = try CLI.run(["--generate-completion-script", shell])
      #expect(r.status == 0, "\(shell): \(r.err)")
      let (on, off) = shell == "fish" ? ("'progress'", "'no-progress'") : ("--progress", "--no-progress")
      #expect(r.out.contains("capture") && r.out.contains(on) && r.out.contains(off), "\(shell)")
    }
  }
}
