/// A keyed permutation of `0..<modulus`: consecutive counters map to numbers that look random,
/// and distinct counters never map to the same number.
///
/// This is how `SampleGenerator` gives every record a different organisation code without
/// remembering the codes it has issued: the n-th code's body is the base-31 (or base-10) spelling
/// of `scramble(n)`. Each round below is a bijection of the `bits`-bit numbers (add a key, xor a
/// right shift, multiply by an odd number), and cycle-walking (apply again until the result is
/// below `modulus`) turns that into a bijection of `0..<modulus`.
struct IndexScrambler {
    let modulus: UInt64
    private let bits: UInt64
    private let mask: UInt64
    private let keys: [UInt64]

    init(modulus: UInt64, key: UInt64) {
        precondition(modulus > 1, "IndexScrambler needs at least two values")
        self.modulus = modulus
        var bits: UInt64 = 1
        while (UInt64(1) << bits) < modulus { bits += 1 }
        self.bits = bits
        self.mask = (UInt64(1) << bits) - 1
        var mixer = SplitMix64(seed: key)
        self.keys = (0..<4).map { _ in mixer.next() }
    }

    /// The image of `index` (`index` < `modulus`).
    func scramble(_ index: UInt64) -> UInt64 {
        var x = index
        repeat { x = permute(x) } while x >= modulus
        return x
    }

    private func permute(_ value: UInt64) -> UInt64 {
        var x = value
        let shift = max(1, bits / 2)
        for key in keys {
            x = (x &+ key) & mask
            x ^= x >> shift
            x = (x &* (key | 1)) & mask
        }
        return x
    }
}
