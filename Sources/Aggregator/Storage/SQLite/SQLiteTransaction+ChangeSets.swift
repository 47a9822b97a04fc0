import Foundation
import GRDB

/// `changesets`, `held_changesets` and `changeset_chain`.
extension SQLiteTransaction {
    func appliedChangeSet(_ id: String) throws -> (region: String, result: [UInt8])? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT region, result FROM changesets WHERE id = ?"), arguments: [id]) else { return nil }
        return (row["region"], Array(row["result"] as Data))
    }

    func insertAppliedChangeSet(id: String, region: String, receivedAt: String, records: Int, result: [UInt8], affected: Int, push: String?) throws {
        try db.cachedStatement(sql: "INSERT INTO changesets (id, region, received_at, records, result, affected, push) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .execute(arguments: [id, region, receivedAt, records, Data(result), affected, push])
    }

    func changeSetKnown(_ id: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM changeset_chain WHERE id = ?1) OR EXISTS (SELECT 1 FROM changesets WHERE id = ?1)
                OR EXISTS (SELECT 1 FROM held_changesets WHERE id = ?1)
            """), arguments: [id]) ?? false
    }

    /// What a region's change sets since a time affected, all and those of other pushes: read
    /// from `changesets_region_recent` alone (a row's answer, before these columns, is not read).
    static let recentlyAffectedSQL = """
        SELECT COALESCE(SUM(affected), 0) AS recent, COALESCE(SUM(CASE WHEN push IS NOT ?3 THEN affected END), 0) AS others
        FROM changesets WHERE region = ?1 AND received_at >= ?2
        """

    func recentlyAffected(region: String, since: String, push: String?) throws -> (all: Int, others: Int) {
        let sums = try Row.fetchOne(db.cachedStatement(sql: Self.recentlyAffectedSQL), arguments: [region, since, push])
        return (sums?["recent"] ?? 0, sums?["others"] ?? 0)
    }

    private static func held(_ row: Row) -> HeldChangeSet {
        HeldChangeSet(id: row["id"], region: row["region"], receivedAt: row["received_at"], body: Array(row["body"] as Data), records: row["records"],
                      affected: row["affected"], regionRecords: row["region_records"], status: row["status"], decidedBy: row["decided_by"],
                      decidedAt: row["decided_at"], note: row["note"])
    }

    func heldChangeSet(_ id: String) throws -> HeldChangeSet? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM held_changesets WHERE id = ?"), arguments: [id]).map(Self.held)
    }

    func heldChangeSets(status: String?) throws -> [HeldChangeSet] {
        try Row.fetchAll(db, sql: "SELECT * FROM held_changesets" + (status == nil ? "" : " WHERE status = ?") + " ORDER BY received_at",
                         arguments: status.map { [$0] } ?? []).map(Self.held)
    }

    func insertHeld(_ held: HeldChangeSet) throws {
        try db.execute(sql: """
            INSERT INTO held_changesets (id, region, received_at, body, records, affected, region_records) VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [held.id, held.region, held.receivedAt, Data(held.body), held.records, held.affected, held.regionRecords])
    }

    func decideHeld(_ id: String, status: String, by: String, at: String, note: String?) throws {
        try db.execute(sql: "UPDATE held_changesets SET status = ?, decided_by = ?, decided_at = ?, note = ? WHERE id = ?",
                       arguments: [status, by, at, note, id])
    }

    private static func link(_ row: Row) -> ChainLink {
        ChainLink(seq: row["seq"], id: row["id"], region: row["region"], token: row["token"], certificate: row["certificate"], receivedAt: row["received_at"],
                  hash: row["hash"], previous: row["previous"], signer: row["signer"], publicKey: row["public_key"], signature: row["signature"],
                  signed: (row["signed"] as Data?).map(Array.init), chainStart: row["chain_start"])
    }

    /// The column an owner's chain is kept under, and its value there.
    private static func column(_ owner: ChainOwner) -> (name: String, value: any DatabaseValueConvertible) {
        switch owner {
        case .token(let id): ("token", id)
        case .certificate(let fingerprint): ("certificate", fingerprint)
        }
    }

    func lastLink(of owner: ChainOwner) throws -> ChainLink? {
        let column = Self.column(owner)
        return try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM changeset_chain WHERE \(column.name) = ? ORDER BY seq DESC LIMIT 1"),
                                arguments: [column.value]).map(Self.link)
    }

    func link(of owner: ChainOwner, hash: String) throws -> ChainLink? {
        let column = Self.column(owner)
        return try Row.fetchOne(db, sql: "SELECT * FROM changeset_chain WHERE \(column.name) = ? AND hash = ?", arguments: [column.value, hash]).map(Self.link)
    }

    func linksAfter(_ seq: Int64, of owner: ChainOwner) throws -> Int {
        let column = Self.column(owner)
        return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM changeset_chain WHERE \(column.name) = ? AND seq > ?", arguments: [column.value, seq]) ?? 0
    }

    func lastLink(ofToken id: Int64) throws -> ChainLink? {
        try lastLink(of: .token(id))
    }

    func insertLink(_ link: ChainLink) throws {
        try db.cachedStatement(sql: """
            INSERT INTO changeset_chain (id, region, token, certificate, received_at, hash, previous, signer, public_key, signature, signed, chain_start)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [link.id, link.region, link.token, link.certificate, link.receivedAt, link.hash, link.previous, link.signer,
                                     link.publicKey, link.signature, link.signed.map { Data($0) }, link.chainStart])
    }

    func link(id: String) throws -> ChainLink? {
        try Row.fetchOne(db, sql: "SELECT * FROM changeset_chain WHERE id = ?", arguments: [id]).map(Self.link)
    }

    func forEachLink(region: String?, _ body: (ChainLink) throws -> Void) throws {
        let rows = try Row.fetchCursor(db, sql: "SELECT * FROM changeset_chain" + (region == nil ? "" : " WHERE region = ?") + " ORDER BY seq",
                                       arguments: region.map { [$0] } ?? [])
        while let row = try rows.next() { try body(Self.link(row)) }
    }

    func changeSetsBeforeLog(region: String?) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT region, COUNT(*) AS n FROM changesets WHERE id NOT IN (SELECT id FROM changeset_chain)
            \(region == nil ? "" : "AND region = ?") GROUP BY region
            """, arguments: region.map { [$0] } ?? []) {
            counts[row["region"]] = row["n"]
        }
        return counts
    }
}
