import Foundation

/// `changesets`, `held_changesets` and `changeset_chain`.
extension PostgresTransaction {
    func appliedChangeSet(_ id: String) throws -> (region: String, result: [UInt8])? {
        guard let row = try one("SELECT region, result FROM changesets WHERE id = $1", [.text(id)]) else { return nil }
        return (try row.string(0), try row.bytes(1))
    }

    func insertAppliedChangeSet(id: String, region: String, receivedAt: String, records: Int, result: [UInt8], affected: Int, push: String?) throws {
        try execute("INSERT INTO changesets (id, region, received_at, records, result, affected, push) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    [.text(id), .text(region), .text(receivedAt), SQLValue(records), .bytes(result), SQLValue(affected), SQLValue(push)])
    }

    func changeSetKnown(_ id: String) throws -> Bool {
        try one("""
            SELECT EXISTS (SELECT 1 FROM changeset_chain WHERE id = $1) OR EXISTS (SELECT 1 FROM changesets WHERE id = $1)
                OR EXISTS (SELECT 1 FROM held_changesets WHERE id = $1)
            """, [.text(id)])?.bool(0) ?? false
    }

    func recentlyAffected(region: String, since: String, push: String?) throws -> (all: Int, others: Int) {
        guard let row = try one("""
            SELECT CAST(COALESCE(SUM(affected), 0) AS BIGINT), CAST(COALESCE(SUM(CASE WHEN push IS DISTINCT FROM $3 THEN affected END), 0) AS BIGINT)
            FROM changesets WHERE region = $1 AND received_at >= $2
            """, [.text(region), .text(since), SQLValue(push)]) else { return (0, 0) }
        return (Int(try row.int(0)), Int(try row.int(1)))
    }

    private static let heldColumns = "id, region, received_at, body, records, affected, region_records, status, decided_by, decided_at, note"

    private static func held(_ row: SQLRow) throws -> HeldChangeSet {
        HeldChangeSet(id: try row.string(0), region: try row.string(1), receivedAt: try row.string(2), body: try row.bytes(3), records: Int(try row.int(4)),
                      affected: Int(try row.int(5)), regionRecords: Int(try row.int(6)), status: try row.string(7), decidedBy: try row.optionalString(8),
                      decidedAt: try row.optionalString(9), note: try row.optionalString(10))
    }

    func heldChangeSet(_ id: String) throws -> HeldChangeSet? {
        try one("SELECT \(Self.heldColumns) FROM held_changesets WHERE id = $1", [.text(id)]).map(Self.held)
    }

    func heldChangeSets(status: String?) throws -> [HeldChangeSet] {
        try query("SELECT \(Self.heldColumns) FROM held_changesets" + (status == nil ? "" : " WHERE status = $1") + " ORDER BY received_at, id",
                  status.map { [.text($0)] } ?? []).map(Self.held)
    }

    func insertHeld(_ held: HeldChangeSet) throws {
        try execute("""
            INSERT INTO held_changesets (id, region, received_at, body, records, affected, region_records) VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, [.text(held.id), .text(held.region), .text(held.receivedAt), .bytes(held.body), SQLValue(held.records), SQLValue(held.affected),
                  SQLValue(held.regionRecords)])
    }

    func decideHeld(_ id: String, status: String, by: String, at: String, note: String?) throws {
        try execute("UPDATE held_changesets SET status = $1, decided_by = $2, decided_at = $3, note = $4 WHERE id = $5",
                    [.text(status), .text(by), .text(at), SQLValue(note), .text(id)])
    }

    private static let linkColumns = "seq, id, region, token, certificate, received_at, hash, previous, signer, public_key, signature, signed, chain_start"

    private static func link(_ row: SQLRow) throws -> ChainLink {
        ChainLink(seq: try row.int(0), id: try row.string(1), region: try row.string(2), token: try row.optionalInt(3), certificate: try row.optionalString(4),
                  receivedAt: try row.string(5), hash: try row.string(6), previous: try row.optionalString(7), signer: try row.optionalString(8),
                  publicKey: try row.optionalString(9), signature: try row.optionalString(10), signed: try row.optionalBytes(11),
                  chainStart: try row.optionalString(12))
    }

    /// The column an owner's chain is kept under, and its value there.
    private static func column(_ owner: ChainOwner) -> (name: String, value: SQLValue) {
        switch owner {
        case .token(let id): ("token", .int(id))
        case .certificate(let fingerprint): ("certificate", .text(fingerprint))
        }
    }

    /// The last change set of an owner's chain. In a write transaction the owner's row (its
    /// token or certificate) is locked first, so that two instances receiving change sets of one
    /// bureau at once chain them one after the other instead of both after the same link.
    func lastLink(of owner: ChainOwner) throws -> ChainLink? {
        let column = Self.column(owner)
        if locking {
            switch owner {
            case .token(let id): try execute("SELECT id FROM tokens WHERE id = $1 FOR UPDATE", [.int(id)])
            case .certificate(let fingerprint): try execute("SELECT fingerprint FROM client_certificates WHERE fingerprint = $1 FOR UPDATE", [.text(fingerprint)])
            }
        }
        return try one("SELECT \(Self.linkColumns) FROM changeset_chain WHERE \(column.name) = $1 ORDER BY seq DESC LIMIT 1", [column.value]).map(Self.link)
    }

    func link(of owner: ChainOwner, hash: String) throws -> ChainLink? {
        let column = Self.column(owner)
        return try one("SELECT \(Self.linkColumns) FROM changeset_chain WHERE \(column.name) = $1 AND hash = $2 ORDER BY seq LIMIT 1",
                       [column.value, .text(hash)]).map(Self.link)
    }

    func linksAfter(_ seq: Int64, of owner: ChainOwner) throws -> Int {
        let column = Self.column(owner)
        return Int(try one("SELECT COUNT(*) FROM changeset_chain WHERE \(column.name) = $1 AND seq > $2", [column.value, .int(seq)])?.int(0) ?? 0)
    }

    func lastLink(ofToken id: Int64) throws -> ChainLink? {
        try lastLink(of: .token(id))
    }

    func insertLink(_ link: ChainLink) throws {
        try execute("""
            INSERT INTO changeset_chain (id, region, token, certificate, received_at, hash, previous, signer, public_key, signature, signed, chain_start)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            """, [.text(link.id), .text(link.region), SQLValue(link.token), SQLValue(link.certificate), .text(link.receivedAt), .text(link.hash),
                  SQLValue(link.previous), SQLValue(link.signer), SQLValue(link.publicKey), SQLValue(link.signature),
                  link.signed.map(SQLValue.bytes) ?? .null, SQLValue(link.chainStart)])
    }

    func link(id: String) throws -> ChainLink? {
        try one("SELECT \(Self.linkColumns) FROM changeset_chain WHERE id = $1", [.text(id)]).map(Self.link)
    }

    func forEachLink(region: String?, _ body: (ChainLink) throws -> Void) throws {
        var last: Int64 = 0
        while true {
            let rows = try query("SELECT \(Self.linkColumns) FROM changeset_chain WHERE seq > $1" + (region == nil ? "" : " AND region = $3") + " ORDER BY seq LIMIT $2",
                                 [.int(last), .int(1_000)] + (region.map { [.text($0)] } ?? []))
            for row in rows {
                let link = try Self.link(row)
                last = link.seq
                try body(link)
            }
            if rows.count < 1_000 { return }
        }
    }

    func changeSetsBeforeLog(region: String?) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try query("""
            SELECT region, COUNT(*) FROM changesets c WHERE NOT EXISTS (SELECT 1 FROM changeset_chain l WHERE l.id = c.id)
            \(region == nil ? "" : "AND region = $1") GROUP BY region
            """, region.map { [.text($0)] } ?? []) {
            counts[try row.string(0)] = Int(try row.int(1))
        }
        return counts
    }
}
