/// One line of a transcript: a filesystem object and what radmind recorded about it.
///
/// Paths and link targets are held **decoded** (raw bytes, never assumed UTF-8); ``LineWriter``
/// encodes them again. The hot streaming tools (`check`, `lsort`, `lmerge`) work on tokens and do not
/// build an `Entry` per line; fsdiff, diff and the store do.
///
///     var parser = TranscriptLineParser()
///     let entry = try parser.parse(line)      // Entry
///     if entry.kind == .file { total += entry.size }
public struct Entry: Sendable, Hashable {
  /// The type letter (spec §1.3).
  public enum Kind: UInt8, Sendable, CaseIterable {
    case file = 0x66          // f
    case appleFile = 0x61     // a  (AppleSingle, macOS)
    case directory = 0x64     // d
    case door = 0x44          // D  (Solaris)
    case symbolicLink = 0x6C  // l
    case hardLink = 0x68      // h
    case characterDevice = 0x63  // c
    case blockDevice = 0x62   // b
    case pipe = 0x70          // p
    case socket = 0x73        // s

    public var letter: Character { Character(Unicode.Scalar(rawValue)) }
    /// f and a lines carry size and checksum and have stored files.
    public var hasContent: Bool { self == .file || self == .appleFile }
  }

  /// `+` / `-` before the type (spec §1.6).
  public enum Prefix: UInt8, Sendable {
    case none = 0
    case plus = 0x2B
    case minus = 0x2D
  }

  public var prefix: Prefix = .none
  public var kind: Kind
  /// Decoded path.
  public var path: [UInt8]
  /// The mode as read (lenient octal); writers print its low 12 bits.
  public var mode: UInt32 = 0
  public var uid: Int32 = 0
  public var gid: Int32 = 0
  public var mtime: Int64 = 0
  public var size: Int64 = 0
  /// base64 digest as written; `-` means none (spec §4.4).
  public var checksum: [UInt8] = [UInt8(ascii: "-")]
  /// Decoded link text (`l`) or decoded first path of the hard-link group (`h`).
  public var target: [UInt8] = []
  public var major: Int32 = 0
  public var minor: Int32 = 0
  /// The 6th token of a `d` line (base64 Finder info, macOS); empty when absent.
  public var finderInfo: [UInt8] = []

  public init(kind: Kind, path: [UInt8]) {
    self.kind = kind
    self.path = path
  }

  public static let noChecksum: [UInt8] = [UInt8(ascii: "-")]
  public var hasChecksum: Bool { checksum != Entry.noChecksum }
  /// Permission and setuid/setgid/sticky bits, the only mode bits radmind compares or prints.
  public var permissions: UInt32 { mode & 0o7777 }
}
