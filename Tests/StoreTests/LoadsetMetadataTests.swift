import Store
import Testing

/// `.loadsmith/meta` has one reader and one writer (``LoadsetStore/Metadata``), used by the store
/// and by the library's archiver and restore alike.
@Suite struct LoadsetMetadataTests {
  @Test("the core lines come out in the order every writer used, then any others")
  func coreLinesInOrder() {
    var meta = LoadsetStore.Metadata(name: "web-bin-1.000.T", type: "bin", digest: "sha1", transcriptChecksum: "abc=",
                                     entries: 3, files: 2, bytes: Int64(10))
    meta["paths"] = "relative"
    #expect(meta.text == "name web-bin-1.000.T\ntype bin\ndigest sha1\ntranscript-checksum abc=\nentries 3\nfiles 2\nbytes 10\npaths relative\n")
  }

  @Test("reading bytes: the first line of a key counts, lines without a space are skipped, the value keeps its spaces")
  func readsBytes() {
    let meta = LoadsetStore.Metadata(bytes: Array("files 2\nfiles 999\njunk\nnode /srv/a b\n".utf8))
    #expect(meta["files"] == "2")
    #expect(meta["node"] == "/srv/a b")
    #expect(meta["junk"] == nil)
    #expect(meta.digest == "sha1")  // the default when none is recorded
    #expect(meta.loggedChecksum == "-")
  }

  @Test("the logged checksum names the digest")
  func loggedChecksum() {
    let meta = LoadsetStore.Metadata(bytes: Array("digest sha256\ntranscript-checksum xyz=\n".utf8))
    #expect(meta.loggedChecksum == "sha256:xyz=")
  }
}
