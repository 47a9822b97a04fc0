import Foundation

/// Slows down guessing at the login form, per client address. Tokens are 256 random bits, so
/// this is about noise and load, not about making a guess feasible: every failed attempt is
/// answered after a short pause, and after `freeFailures` failures in `window` an address must
/// wait, doubling up to `maxWait`, before its next attempt is even checked.
actor LoginThrottle {
    struct Entry {
        var failures: Int
        var last: Date
    }

    let freeFailures: Int
    let window: TimeInterval
    let maxWait: TimeInterval
    /// The pause before a failed attempt is answered.
    let failurePause: Duration
    private var entries: [String: Entry] = [:]

    init(freeFailures: Int = 5, window: TimeInterval = 900, maxWait: TimeInterval = 300, failurePause: Duration = .milliseconds(500)) {
        self.freeFailures = freeFailures
        self.window = window
        self.maxWait = maxWait
        self.failurePause = failurePause
    }

    /// Seconds the address must still wait before an attempt is checked; 0: go ahead.
    func wait(for address: String, now: Date = Date()) -> Int {
        guard let entry = entries[address], now.timeIntervalSince(entry.last) < window, entry.failures >= freeFailures else { return 0 }
        let wait = min(maxWait, pow(2, Double(entry.failures - freeFailures)))
        let left = entry.last.addingTimeInterval(wait).timeIntervalSince(now)
        return left > 0 ? Int(left.rounded(.up)) : 0
    }

    func failed(_ address: String, now: Date = Date()) {
        if entries.count > 10_000 { entries = entries.filter { now.timeIntervalSince($0.value.last) < window } }
        var entry = entries[address].flatMap { now.timeIntervalSince($0.last) < window ? $0 : nil } ?? Entry(failures: 0, last: now)
        entry.failures += 1
        entry.last = now
        entries[address] = entry
    }

    func succeeded(_ address: String) {
        entries[address] = nil
    }
}
