import Flowstate

/// The simulation's only source of randomness: SplitMix64 from one seed, so a run is
/// reproducible exactly on any machine.
package struct SimulationRandom: RandomNumberGenerator, Sendable {
    private var generator: SeededRandom

    /// Creates a generator; the same seed yields the same sequence.
    package init(seed: UInt64) { generator = SeededRandom(seed: seed) }

    /// The next 64 random bits.
    package mutating func next() -> UInt64 { generator.next() }

    /// A generator for an independent stream derived from this seed (e.g. the broker's).
    package func derived(_ stream: UInt64) -> SimulationRandom {
        var copy = SimulationRandom(seed: generator.state ^ (stream &* 0xD1B5_4A32_D192_ED03))
        _ = copy.next()
        return copy
    }

    /// Whether an event of probability `probability` happens.
    package mutating func chance(_ probability: Double) -> Bool {
        generator.unit() < probability
    }
}
