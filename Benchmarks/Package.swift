// swift-tools-version: 6.1
// package-benchmark targets for Loadsmith, kept out of the main package so that CI's test build
// stays lean. Run from this folder: `swift package benchmark` (see ../README.md, "Benchmarks").
import PackageDescription

let package = Package(
  name: "LoadsmithBenchmarks",
  platforms: [.macOS(.v13)],
  dependencies: [
    .package(name: "Loadsmith", path: ".."),
    .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
  ],
  targets: [
    .executableTarget(
      name: "TranscriptBenchmarks",
      dependencies: [
        .product(name: "LoadsmithKit", package: "Loadsmith"),
        .product(name: "Benchmark", package: "benchmark"),
      ],
      path: "Benchmarks/TranscriptBenchmarks",
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
    .executableTarget(
      name: "HashBenchmarks",
      dependencies: [
        .product(name: "LoadsmithKit", package: "Loadsmith"),
        .product(name: "Benchmark", package: "benchmark"),
      ],
      path: "Benchmarks/HashBenchmarks",
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
  ]
)
