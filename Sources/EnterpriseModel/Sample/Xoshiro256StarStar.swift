/// xoshiro256** (Blackman, Vigna 2018), the generator behind `SampleGenerator`.
///
/// Its own code rather than the standard library's: the sample data must be the same for a
/// seed on every machine and toolchain, and `random(in:using:)` does not promise how it turns
/// words into numbers. Bounded numbers are drawn here with rejection, so they are unbiased too.
struct Xoshiro256StarStar {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    init(seed: UInt64) {
        var mixer = SplitMix64(seed: seed)
        s0 = mixer.next()
        s1 = mixer.next()
        s2 = mixer.next()
        s3 = mixer.next()
    }

    mutating func next() -> UInt64 {
        let result = ((s1 &* 5) <<< 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 <<< 45)
        return result
    }

    /// A uniform number in `0..<bound` (`bound` > 0).
    mutating func below(_ bound: UInt64) -> UInt64 {
        // Reject the top partial block of the 64-bit range so every residue is equally likely.
        let limit = UInt64.max - UInt64.max % bound
        while true {
            let x = next()
            if x < limit { return x % bound }
        }
    }

    /// A uniform integer in `range`.
    mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(below(UInt64(range.upperBound - range.lowerBound) + 1))
    }

    /// True with probability `percent` / 100.
    mutating func chance(percent: Double) -> Bool {
        unit() * 100 < percent
    }

    /// A uniform double in [0, 1), from the top 53 bits.
    mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniformly chosen element of a non-empty array.
    mutating func pick<T>(_ items: [T]) -> T {
        items[Int(below(UInt64(items.count)))]
    }

    /// An element chosen with probability proportional to its weight (weights > 0).
    mutating func pick<T>(_ items: [(T, Double)]) -> T {
        let total = items.reduce(0) { $0 + $1.1 }
        var x = unit() * total
        for (item, weight) in items {
            if x < weight { return item }
            x -= weight
        }
        return items[items.count - 1].0
    }
}

infix operator <<< : BitwiseShiftPrecedence

extension UInt64 {
    fileprivate static func <<< (value: UInt64, amount: UInt64) -> UInt64 {
        (value << amount) | (value >> (64 - amount))
    }
}
