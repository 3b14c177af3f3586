import TranscriptIO

extension TreeCapture {
  /// A file's identity: device and inode (the one ``TranscriptIO/InodeKey``).
  public typealias InodeKey = TranscriptIO.InodeKey
}
