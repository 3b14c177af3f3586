// swift-tools-version: 6.1
// Loadsmith: builds, versions, promotes, rolls back and archives radmind loadsets.
import PackageDescription

let package = Package(
  name: "Loadsmith",
  // Linux only: the system calls (renameat2, syncfs, st_mtim) are Linux's; `SystemCalls` refuses
  // to build anywhere else. No Apple platform is declared.
  products: [
    .executable(name: "loadsmith", targets: ["loadsmith"]),
    // `loadsmith serve` execs this one (kept apart so the radmind front ends never load the web stack).
    .executable(name: "loadsmith-serve", targets: ["loadsmith-serve"]),
    // The modules, for the benchmark package in Benchmarks/ and for embedding.
    .library(name: "LoadsmithKit", targets: ["RadmindFormat", "TranscriptIO", "Hashing", "Capture", "Loadsets", "RadmindTools"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    // The project's only network dependency: linked into Serve and loadsmith-serve alone.
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
  ],
  targets: [
    // C system libraries: module maps and a header each, nothing else.
    .systemLibrary(name: "CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

    // The one door to the C library: every system call, its EINTR retry and its error (Linux only).
    .target(name: "SystemCalls", dependencies: ["CLoadsetShims"]),
    // The transcript language: pure, no I/O (SystemCalls only for memchr).
    .target(name: "RadmindFormat", dependencies: ["SystemCalls"]),
    // Streaming over files: reader, atomic writer, external sort.
    .target(name: "TranscriptIO", dependencies: ["RadmindFormat", "SystemCalls"]),
    // Digests (OpenSSL EVP), base64, the file hasher.
    .target(name: "Hashing", dependencies: ["CLibCrypto", "CLoadsetShims", "TranscriptIO", "SystemCalls"]),
    // The filesystem side: tree walk, command files, fsdiff comparison.
    .target(name: "Capture", dependencies: ["RadmindFormat", "TranscriptIO", "Hashing", "SystemCalls"]),
    // Loadset operations on entry streams: lmerge, diff, lcksum, twhich.
    .target(name: "Loadsets", dependencies: ["RadmindFormat", "TranscriptIO", "Hashing", "Capture", "SystemCalls"]),
    // renameat2 and _exit for the crash-safe loadset publisher; the SIGBUS guard for mapped hashing.
    .target(name: "CLoadsetShims"),
    // The versioned store on top of a radmind server tree.
    .target(name: "Store", dependencies: ["RadmindFormat", "TranscriptIO", "Hashing", "Capture", "Loadsets", "SystemCalls"]),
    // The Definitive Software Library: tar + gzip archives.
    .target(name: "Library", dependencies: ["RadmindFormat", "TranscriptIO", "Hashing", "Store", "Archive", "CZlib", "SystemCalls"]),
    // Streaming tar writer/reader and parallel gzip: no Foundation, hashing by callback.
    .target(name: "Archive", dependencies: ["CZlib", "TranscriptIO", "SystemCalls"]),

    // radmind's own command lines (getopt, messages, exit codes) over the modules above.
    .target(name: "RadmindTools", dependencies: ["RadmindFormat", "TranscriptIO", "Hashing", "Capture", "Loadsets", "SystemCalls"]),

    .executableTarget(
      name: "loadsmith",
      dependencies: [
        "RadmindFormat", "TranscriptIO", "Hashing", "Capture", "Loadsets", "Store", "Library", "RadmindTools", "SystemCalls",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    // `loadsmith serve`: the read-only web view and JSON API (the one module that links Hummingbird).
    .target(name: "Serve", dependencies: [
      "RadmindFormat", "TranscriptIO", "Loadsets", "Store", "Library", "SystemCalls",
      .product(name: "Hummingbird", package: "hummingbird"),
    ]),
    .executableTarget(name: "loadsmith-serve", dependencies: ["Serve"]),

    // libFuzzer harness for the pure parsers (README "Fuzzing"); a plain build replays a corpus.
    .executableTarget(name: "loadsmith-fuzz", dependencies: ["RadmindFormat"], path: "Fuzz"),
    // The same for what a DSL reads: tar/gzip reader and manifest reader.
    .executableTarget(name: "loadsmith-fuzz-archive", dependencies: ["Archive", "Library"], path: "FuzzArchive"),

    .testTarget(name: "RadmindFormatTests", dependencies: ["RadmindFormat"]),
    .testTarget(name: "TranscriptIOTests", dependencies: ["TranscriptIO", "RadmindFormat", "SystemCalls", "StoreTestSupport"]),
    .testTarget(name: "RadmindToolsTests", dependencies: ["RadmindTools"]),
    .testTarget(name: "HashingTests", dependencies: ["Hashing", "StoreTestSupport"]),
    .testTarget(name: "CaptureTests", dependencies: ["Capture", "RadmindFormat", "TranscriptIO", "SystemCalls", "StoreTestSupport"]),
    .testTarget(name: "LoadsetsTests", dependencies: ["Loadsets", "RadmindFormat", "TranscriptIO", "Hashing", "StoreTestSupport", "loadsmith"]),
    // The one test support: scratch directories, the process runner, the built `loadsmith` (CLI).
    .target(name: "StoreTestSupport", path: "Tests/StoreTestSupport"),
    .testTarget(name: "StoreTests", dependencies: ["Store", "RadmindFormat", "TranscriptIO", "Hashing", "loadsmith", "StoreTestSupport", "RadmindTools"]),
    .testTarget(name: "ArchiveTests", dependencies: ["Archive", "StoreTestSupport"]),
    .testTarget(name: "ConformanceTests", dependencies: ["loadsmith", "RadmindTools", "StoreTestSupport"]),
    .testTarget(name: "LibraryTests", dependencies: ["Library", "Hashing", "loadsmith", "StoreTestSupport"]),
    // Seeded random command sequences, kills and hostile inputs against the built `loadsmith`.
    .testTarget(name: "SoakTests", dependencies: ["loadsmith", "StoreTestSupport"]),
    .testTarget(name: "ServeTests", dependencies: ["Serve", "Store", "loadsmith", "loadsmith-serve", "StoreTestSupport"]),
  ]
)
