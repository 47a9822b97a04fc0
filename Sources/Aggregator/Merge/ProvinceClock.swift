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

    /// The edit time a bureau's change set clock gives its fields: the bureau's clock, capped at
    /// the allowed drift. It does not depend on the province's clock, so the merge is planned
    /// without reading (on PostgreSQL: locking) the clock's row; `takeIn` moves the province's
    /// clock past it later in the same transaction, once the plan is made and just before it is
    /// written, so that the row is held only for the end of the transaction, as the change
    /// sequence's is.
    static func heard(_ remote: HybridTimestamp, wall: Int64 = HybridClock.wallMilliseconds()) -> HybridTimestamp {
        var scratch = HybridClock(node: node, last: nil)
        return scratch.receive(remote, wall: wall)
    }

    /// Moves the province's clock past `time` (what `heard` gave), as receiving it would have.
    /// Returns the clock as saved, which is how it stands until the transaction ends (its row
    /// is the transaction's until then).
    @discardableResult
    static func takeIn(_ time: HybridTimestamp, _ register: any RegisterTransaction) throws -> HybridTimestamp {
        var clock = try load(register)
        clock.receive(time, wall: time.milliseconds)   // capped already: not again, with a later wall
        try register.saveClock(clock.last)
        return clock.last
    }

    /// The clock as it stands, for answers to bureaus.
    static func current(_ register: any RegisterTransaction) throws -> HybridTimestamp { try load(register).last }
}
