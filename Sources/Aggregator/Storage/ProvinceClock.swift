import GRDB
import SyncCore

/// The province's hybrid logical clock, kept in the database so that it never goes back across
/// restarts, and moved inside the transaction of every write: each change set's clock is taken
/// in, each province edit and decision gets a tick.
enum ProvinceClock {
    static let node = "province"

    static func load(_ db: Database) throws -> HybridClock {
        let text = try String.fetchOne(db, sql: "SELECT last FROM clock WHERE id = 1")
        return HybridClock(node: node, last: text.flatMap(HybridTimestamp.init))
    }

    static func save(_ clock: HybridClock, _ db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO clock (id, last) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET last = excluded.last")
            .execute(arguments: [clock.last.description])
    }

    /// A timestamp for a province edit or decision.
    static func tick(_ db: Database) throws -> HybridTimestamp {
        var clock = try load(db)
        let now = clock.tick(wall: HybridClock.wallMilliseconds())
        try save(clock, db)
        return now
    }

    /// Takes in a bureau's change set clock; returns the edit time its fields are kept with (the
    /// bureau's clock, capped at the allowed drift; the arrival time for an unclocked change set).
    static func receive(_ remote: HybridTimestamp?, _ db: Database) throws -> HybridTimestamp {
        var clock = try load(db)
        let wall = HybridClock.wallMilliseconds()
        let time = remote.map { clock.receive($0, wall: wall) } ?? clock.tick(wall: wall)
        try save(clock, db)
        return time
    }

    /// The clock as it stands, for answers to bureaus.
    static func current(_ db: Database) throws -> HybridTimestamp { try load(db).last }
}
