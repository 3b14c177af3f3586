import RadmindFormat
import TranscriptIO

/// The three renderings of a ``DiffChange``: an applicable radmind transcript line, a JSON
/// object, and the human summary.
public enum DiffOutput {
  /// The line(s) `fsdiff -A` would print to turn A into B, with B as the transcript and A as the
  /// file system (no `name:` headers): `+ ` for a file B has whose content A lacks, `- ` with
  /// A's attributes (checksum `-`) for a path only A has, and B's plain line for everything
  /// else that differs (attributes, link targets, types other than files).
  public static func appendTranscript(_ change: DiffChange, to out: inout [UInt8]) {
    switch change {
    case .added(let new):
      // A "-" line only B has stays a removal; a file B adds is a download.
      let prefix: Entry.Prefix = new.prefix == .minus ? .minus : new.kind.hasContent ? .plus : .none
      LineWriter.append(new, prefix: prefix, to: &out)
    case .removed(var old):
      if old.kind.hasContent { old.checksum = Entry.noChecksum }
      LineWriter.append(old, prefix: .minus, to: &out)
    case .typeChanged(_, let new):
      LineWriter.append(new, prefix: new.kind.hasContent ? .plus : Entry.Prefix.none, to: &out)
    case .changed(let old, let new, let fields):
      var download = false
      if new.kind.hasContent {
        let noChecksums = !old.hasChecksum || !new.hasChecksum
        download = fields.contains(.size) || fields.contains(.checksum) || (noChecksums && fields.contains(.mtime))
      }
      LineWriter.append(new, prefix: download ? .plus : Entry.Prefix.none, to: &out)
    }
  }

  /// One JSON object (and LF) per change:
  /// `{"change":"added","path":"./a","type":"f","mode":"0644","uid":0,...}`,
  /// `{"change":"type","path":...,"from":"f","to":"d"}`,
  /// `{"change":"changed","path":...,"type":"f","fields":{"size":{"from":1,"to":2}}}`.
  /// Paths and targets are written in radmind's encoding (`\b` for a space ...) so they stay
  /// ASCII for ASCII names; other bytes are written as UTF-8 when valid, else as `\u00XX`.
  public static func appendJSON(_ change: DiffChange, to out: inout [UInt8]) {
    switch change {
    case .added(let e): object("added", e, &out)
    case .removed(let e): object("removed", e, &out)
    case .typeChanged(let old, let new):
      out += Array("{\"change\":\"type\",\"path\":".utf8)
      JSONText.append(PathCodec.encode(new.path), to: &out)
      out += Array(",\"from\":\"\(typeName(old))\",\"to\":\"\(typeName(new))\"}\n".utf8)
    case .changed(let old, let new, let fields):
      out += Array("{\"change\":\"changed\",\"path\":".utf8)
      JSONText.append(PathCodec.encode(new.path), to: &out)
      out += Array(",\"type\":\"\(typeName(new))\",\"fields\":{".utf8)
      for (k, f) in fields.enumerated() {
        if k > 0 { out.append(0x2C) }
        out += Array("\"\(f.rawValue)\":{\"from\":".utf8)
        value(f, old, &out)
        out += Array(",\"to\":".utf8)
        value(f, new, &out)
        out.append(0x7D)
      }
      out += Array("}}\n".utf8)
    }
  }

  /// The closing JSON line: `{"summary":{...}}`.
  public static func appendJSONSummary(_ s: DiffSummary, to out: inout [UInt8]) {
    var fields = ""
    for f in DiffField.allCases where s.fieldCounts[f] != nil {
      fields += (fields.isEmpty ? "" : ",") + "\"\(f.rawValue)\":\(s.fieldCounts[f]!)"
    }
    out += Array(("{\"summary\":{\"added\":\(s.added),\"removed\":\(s.removed),\"type\":\(s.typeChanged),"
      + "\"changed\":\(s.changed),\"unchanged\":\(s.unchanged),\"fields\":{\(fields)},"
      + "\"bytes_added\":\(s.bytesAdded),\"bytes_removed\":\(s.bytesRemoved)}}\n").utf8)
  }

  /// The human summary: counts per kind and per field, bytes added and removed.
  public static func summaryText(_ s: DiffSummary) -> String {
    func row(_ label: String, _ n: Int) -> String {
      let v = String(n)
      return label + String(repeating: " ", count: max(1, 16 - label.count)) + String(repeating: " ", count: max(0, 10 - v.count)) + v + "\n"
    }
    var text = s.isEqual ? "transcripts are equal\n" : ""
    text += row("added", s.added)
    text += row("removed", s.removed)
    text += row("type changed", s.typeChanged)
    text += row("changed", s.changed)
    for f in DiffField.allCases where s.fieldCounts[f] != nil {
      text += row("  " + f.rawValue, s.fieldCounts[f]!)
    }
    text += row("unchanged", s.unchanged)
    text += "bytes added     \(s.bytesAdded)\n"
    text += "bytes removed   \(s.bytesRemoved)\n"
    return text
  }

  static func typeName(_ e: Entry) -> String {
    (e.prefix == .minus ? "-" : "") + String(e.kind.letter)
  }

  static func octal(_ v: UInt32) -> [UInt8] {
    var o: [UInt8] = []
    LineWriter.appendOctal4(v, to: &o)
    return o
  }

  static func value(_ f: DiffField, _ e: Entry, _ out: inout [UInt8]) {
    switch f {
    case .mode: out.append(0x22); out += octal(e.permissions); out.append(0x22)
    case .uid: out += Array(String(e.uid).utf8)
    case .gid: out += Array(String(e.gid).utf8)
    case .mtime: out += Array(String(e.mtime).utf8)
    case .size: out += Array(String(e.size).utf8)
    case .checksum: JSONText.append(e.checksum, to: &out)
    case .target: JSONText.append(PathCodec.encode(e.target), to: &out)
    case .device: out += Array("[\(e.major),\(e.minor)]".utf8)
    }
  }

  static func object(_ change: String, _ e: Entry, _ out: inout [UInt8]) {
    out += Array("{\"change\":\"\(change)\",\"path\":".utf8)
    JSONText.append(PathCodec.encode(e.path), to: &out)
    out += Array(",\"type\":\"\(typeName(e))\"".utf8)
    if e.kind != .hardLink {
      out += Array(",\"mode\":".utf8); value(.mode, e, &out)
      out += Array(",\"uid\":\(e.uid),\"gid\":\(e.gid)".utf8)
    }
    switch e.kind {
    case .file, .appleFile:
      out += Array(",\"mtime\":\(e.mtime),\"size\":\(e.size),\"checksum\":".utf8)
      JSONText.append(e.checksum, to: &out)
    case .symbolicLink, .hardLink:
      out += Array(",\"target\":".utf8)
      JSONText.append(PathCodec.encode(e.target), to: &out)
    case .blockDevice, .characterDevice:
      out += Array(",\"major\":\(e.major),\"minor\":\(e.minor)".utf8)
    default: break
    }
    out += Array("}\n".utf8)
  }
}
