extension CLI {
  /// Scratch DSLs are unsigned unless a test signs them, so `restore` and `dsl verify` are run as an
  /// operator would run them over archives made before signing: with `--allow-unsigned`. A test of
  /// signatures passes `--trusted-keys` (or sets `LOADSMITH_TEST_STRICT_SIGNATURES` in `env`) and
  /// gets the command exactly as written.
  public static func acceptingUnsigned(_ args: [String], env: [String: String] = [:]) -> [String] {
    let checksSignatures = args.first == "restore" || (args.count > 1 && args[0] == "dsl" && args[1] == "verify")
    guard checksSignatures, env["LOADSMITH_TEST_STRICT_SIGNATURES"] == nil,
          !args.contains("--trusted-keys"), !args.contains("--allow-unsigned") else { return args }
    return args + ["--allow-unsigned"]
  }
}
