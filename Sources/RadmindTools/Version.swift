/// Loadsmith's version: `loadsmith --version` and the `-V` line of the radmind front ends (where
/// radmind prints its own version there, we print ours: the bytes that follow are radmind's).
public let loadsmithVersion = "0.2.0"
