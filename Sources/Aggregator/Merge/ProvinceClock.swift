import SyncCore

/// The province's hybrid logical clock, kept in the register so that it never goes back across
/// restarts, and moved inside the transaction of every write: each change set's clock is taken
/// in, each province edit and decision gets a tick.
enum ProvinceClock {
    static let node = "province"

    static func load(_ register: any RegisterTransaction) throws -> HybridClock {
        HybridClock(node: node, last: try register.savedClock())
    }

    /// A timestamp for a province edit or decision.
    static func tick(_ register: any RegisterTransaction) throws -> HybridTimestamp {
        var clock = try load(register)
        let now = clock.tick(wall: HybridClock.wallMilliseconds())
        try register.saveClock(clock.last)
        return now
    }

    /// Takes in a bureau's change set clock; returns the edit time its fields are kept with (the
    /// bureau's clock, capped at the allowed drift; the arrival time for an unclocked change set).
    static func receive(_ remote: HybridTimestamp?, _ register: any RegisterTransaction) throws -> HybridTimestamp {
        var clock = try load(register)
        let wall = HybridClock.wallMilliseconds()
        let time = remote.map { clock.receive($0, wall: wall) } ?? clock.tick(wall: wall)
        try register.saveClock(clock.last)
        return time
    }

    /// The clock as it stands, for answers to bureaus.
    static func current(_ register: any RegisterTransaction) throws -> HybridTimestamp { try load(register).last }
}
