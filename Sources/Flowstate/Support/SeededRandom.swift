/// SplitMix64: a small, fast random number generator whose sequence is fixed by its seed, for
/// anything that must be repeatable (the simulation, the demo's load, benchmarks, tests).
package struct SeededRandom: RandomNumberGenerator, Sendable {
    /// The generator's current state (its position in the sequence).
    package private(set) var state: UInt64

    /// Creates a generator; the same seed yields the same sequence.
    package init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound` (0 when `bound` is not positive).
    package mutating func next(below bound: Int) -> Int { Int(next() % UInt64(max(1, bound))) }

    /// A number in `0..<1`, with 53 random bits.
    package mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
