@testable import Aggregator
import EndToEndSupport
import EnterpriseModel
import Foundation
import Synchronization
import SyncCore
import Testing

/// Two writers on one register with the first one's commit held back on purpose: what the
/// register promises (`RegisterStore`) must hold whichever backend keeps it. On SQLite the
/// second writer waits for the file's write lock; on PostgreSQL (`ESYNC_TEST_BACKEND=postgresql`)
/// for the change-sequence row and the record rows the first one locked. Without those locks
/// (numbers from a sequence object, records read without FOR UPDATE) the second commits first
/// and these tests fail.
@Suite struct RegisterInterleavingTests {
    let temporary = TemporaryFolder("interleaving")
    var folder: String { temporary.path }
    let context = WriteContext(source: "bureau:410100", changeSet: "cs", at: "2026-01-01T00:00:00Z")

    func revision(_ uscc: String, previous: StoredRecord? = nil, employees: Int64) -> WritePlan.Revision {
        let document: JSONValue = .object(["uscc": .string(uscc), "name": .string("测试企业"), "employees": .int(employees)])
        return WritePlan.Revision(kind: previous == nil ? .create : .update, uscc: uscc, region: "410100", previous: previous, document: document,
                                  changedFields: previous == nil ? [] : ["employees"])
    }

    /// A gate a writer's body waits at (on the register's own thread, never the test's), and a
    /// flag the test polls. Only the first run of a body waits: one that is run again (a retried
    /// transaction) goes through.
    final class Gate: Sendable {
        let semaphore = DispatchSemaphore(value: 0)
        let reached = Mutex(false)
        let held = Mutex(false)
        func arrive() { reached.withLock { $0 = true } }
        func hold() {
            guard !held.withLock({ let was = $0; $0 = true; return was }) else { return }
            semaphore.wait()
        }
        func open() { semaphore.signal() }
        func waitUntilReached() async throws {
            for _ in 0..<1_000 where !reached.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
            #expect(reached.withLock { $0 }, "the first writer never reached its gate")
        }
    }

    /// Sequence numbers are taken inside the writing transaction; the first writer takes its
    /// number and holds its commit; the second must not commit meanwhile (a pull that saw its
    /// number would never see the first's, which is smaller), and once both commit the feed
    /// lists them in the order of their numbers.
    @Test func theChangeFeedIsInCommitOrderWhenTheFirstCommitIsHeld() async throws {
        let database = try await TestRegister.open(folder + "/province.sqlite")
        try await expectCommitOrder(database, first: revision("91410100AAAAAAAAA1", employees: 1),
                                    second: revision("91410100BBBBBBBBB2", employees: 2), after: 0)
        await database.close()
    }

    /// The same with two writers that share no row but the change sequence's: both records
    /// exist beforehand and each writer renames one (a field the report's totals do not count,
    /// so no totals row moves), so that only the sequence's lock can keep the second from
    /// committing first. (In the test above the region's totals row orders them as well.)
    @Test func theChangeFeedIsInCommitOrderWhenTheWritersShareOnlyTheSequence() async throws {
        let database = try await TestRegister.open(folder + "/province.sqlite")
        let context = context
        let made = try await database.write { register in
            try register.write([revision("91410100DDDDDDDDD4", employees: 1), revision("91410100EEEEEEEEE5", employees: 1)], context: context)
        }
        func renamed(_ stored: StoredRecord, _ name: String) -> WritePlan.Revision {
            WritePlan.Revision(kind: .update, uscc: stored.uscc, region: "410100", previous: stored,
                               document: .object(["uscc": .string(stored.uscc), "name": .string(name), "employees": .int(1)]), changedFields: ["name"])
        }
        try await expectCommitOrder(database, first: renamed(made[0], "第一家更名有限公司"), second: renamed(made[1], "第二家更名有限公司"),
                                    after: max(made[0].seq, made[1].seq))
        await database.close()
    }

    /// A writer that ticks the province's clock first (a reviewer's decision, a province edit,
    /// an import) and a bureau's merge, which takes the clock late (`beforeNumbering`), take the
    /// province-wide rows in one order: clock, change sequence, the region's totals. So on
    /// PostgreSQL a decision in a region is not held up by a merge of the same region that has
    /// written its records' facts and waits for the clock (with the totals written before the
    /// clock, the decision waited for the merge's totals row while the merge waited for the
    /// decision's clock: a deadlock, broken by the server after a second and retried). On
    /// SQLite, one writer at a time: the decision waits for the merge to commit.
    @Test func aDecisionTickingTheClockIsNotHeldUpByAMergeOfTheSameRegion() async throws {
        let database = try await TestRegister.open(folder + "/province.sqlite")
        let context = context
        @Sendable func record(_ uscc: String, status: String, previous: StoredRecord?) -> WritePlan.Revision {
            WritePlan.Revision(kind: previous == nil ? .create : .update, uscc: uscc, region: "410100", previous: previous,
                               document: .object(["uscc": .string(uscc), "name": .string("测试企业"), "status": .string(status)]),
                               changedFields: previous == nil ? [] : ["status"])
        }
        let (pushed, decided) = ("91410100FFFFFFFFF6", "91410100GGGGGGGGG7")
        let made = try await database.write { register in
            try register.write([record(pushed, status: "active", previous: nil), record(decided, status: "active", previous: nil)], context: context)
        }
        // Both move the region's totals: a record leaves "active" for "closed".
        let gate = Gate()
        let merge = Task {
            try await database.write { register in
                try register.write([record(pushed, status: "closed", previous: made[0])], context: context) {
                    gate.arrive()
                    gate.hold()
                    try ProvinceClock.takeIn(ProvinceClock.heard(HybridTimestamp(milliseconds: HybridClock.wallMilliseconds(), node: "410100")), register)
                }[0].revision
            }
        }
        try await gate.waitUntilReached()
        let decisionDone = Mutex(false)
        let decision = Task {
            let revision = try await database.write { register in
                _ = try ProvinceClock.tick(register)
                let row = try register.recordsForMerge([decided])[decided]
                return try register.write([record(decided, status: "closed", previous: row)], context: context)[0].revision
            }
            decisionDone.withLock { $0 = true }
            return revision
        }
        if database.location.hasPrefix("postgresql://") {
            for _ in 0..<100 where !decisionDone.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(100)) }
            #expect(decisionDone.withLock { $0 }, "the decision waited for the merge of its region (a row both take in opposite orders)")
        } else {
            try await Task.sleep(for: .milliseconds(500))
            #expect(!decisionDone.withLock { $0 }, "a second SQLite writer committed while the first was open")
        }
        gate.open()
        #expect(try await merge.value == 2)
        #expect(try await decision.value == 2)
        let closed = try await database.read { register in try register.reportTotals().filter { $0.status == "closed" }.reduce(0) { $0 + Int($1.totals.records) } }
        #expect(closed == 2)
        await database.close()
    }

    /// A designation import locks the records it lists before it ticks the province's clock, as
    /// a merge locks its records before it takes the clock: so while a merge holds a listed
    /// record, the import waits for that record without holding the clock, and a decision on
    /// another record of the region (which ticks the clock) goes on. Ticking first, the import
    /// held the clock while it waited: the decision waited too, and the merge, which wants the
    /// clock next, deadlocked with the import. (PostgreSQL only: SQLite has one writer at a time.)
    @Test(.enabled(if: TestRegister.isPostgreSQL, "several writers at once: PostgreSQL"))
    func aDesignationImportWaitingForARecordDoesNotHoldTheClock() async throws {
        let database = try await TestRegister.open(folder + "/province.sqlite")
        let context = context
        let (pushed, decided) = (USCC.make(division: "410100", organizationBody: "MA000001").rawValue,
                                 USCC.make(division: "410100", organizationBody: "MA000002").rawValue)
        let made = try await database.write { register in
            try register.write([revision(pushed, employees: 1), revision(decided, employees: 1)], context: context)
        }
        let gate = Gate()
        let merge = Task {
            try await database.write { register in
                let row = try register.recordsForMerge([pushed])[pushed]
                return try register.write([revision(pushed, previous: row, employees: 2)], context: context) {
                    gate.arrive()
                    gate.hold()
                    try ProvinceClock.takeIn(ProvinceClock.heard(HybridTimestamp(milliseconds: HybridClock.wallMilliseconds(), node: "410100")), register)
                }[0].revision
            }
        }
        try await gate.waitUntilReached()
        let principal = Principal(role: .editor, region: nil, name: "wang")
        let importing = Task {
            try await DesignationImport(database: database).run(kind: .srdi, value: DesignationImport.value(kind: .srdi, year: 2026, batch: 1, validUntil: nil, month: nil),
                                                                list: [(1, pushed)], source: "srdi.csv", by: principal)
        }
        try await Task.sleep(for: .milliseconds(300))   // the import reaches the merge's record and waits
        let decisionDone = Mutex(false)
        let decision = Task {
            let written = try await database.write { register in
                _ = try ProvinceClock.tick(register)
                let row = try register.recordsForMerge([decided])[decided]
                return try register.write([self.revision(decided, previous: row, employees: 3)], context: context)[0].revision
            }
            decisionDone.withLock { $0 = true }
            return written
        }
        for _ in 0..<100 where !decisionDone.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(100)) }
        #expect(decisionDone.withLock { $0 }, "the decision waited for the clock, which the import held while it waited for the merge's record")
        gate.open()
        #expect(try await merge.value == 2)
        #expect(try await decision.value == 2)
        let summary = try await importing.value
        #expect(summary.designated.count + summary.refused.count + summary.unchanged.count == 1, "\(summary)")
        #expect(made.count == 2)
        await database.close()
    }

    /// Writes `first` and holds its commit; meanwhile `second` must not commit, and a pull after
    /// `after` must see neither; once both commit the feed lists them in the order of their numbers.
    func expectCommitOrder(_ database: ProvinceDatabase, first: WritePlan.Revision, second: WritePlan.Revision, after: Int64) async throws {
        let gate = Gate()
        let context = context
        let firstTask = Task {
            try await database.write { register in
                let seq = try register.write([first], context: context)[0].seq
                gate.arrive()
                gate.hold()
                return seq
            }
        }
        try await gate.waitUntilReached()
        let secondDone = Mutex(false)
        let secondTask = Task {
            let seq = try await database.write { register in try register.write([second], context: context)[0].seq }
            secondDone.withLock { $0 = true }
            return seq
        }
        try await Task.sleep(for: .milliseconds(500))
        #expect(!secondDone.withLock { $0 }, "the second writer committed while the first, with a smaller number, had not")
        let seen = try await database.read { try $0.changes(region: "410100", after: after, limit: 10, requester: nil) }
        #expect(seen.isEmpty, "a pull saw \(seen.map(\.uscc)) before the first writer committed")
        gate.open()
        let (a, b) = (try await firstTask.value, try await secondTask.value)
        #expect(a < b)
        let feed = try await database.read { try $0.changes(region: "410100", after: after, limit: 10, requester: nil) }
        #expect(feed.map(\.seq) == [a, b] && feed.map(\.uscc) == [first.uscc, second.uscc])
    }

    /// A change set that reaches two instances at once (an agent's retry after a timeout) is
    /// applied once: the second writer waits for the records the first holds, then finds the
    /// change set's id taken (the key of `changesets`; on PostgreSQL the transaction is run
    /// again) and answers it as a replay, the first one's answer. Without the key (a mutant that
    /// inserts the result with `ON CONFLICT DO NOTHING`) the second merges the change set a
    /// second time, and answers it as its own ("unchanged": the values are there already).
    @Test func aChangeSetReachingTwoWritersAtOnceIsAppliedOnce() async throws {
        let database = try await TestRegister.open(folder + "/province.sqlite")
        let merge = MergeService(database: database)
        let bureau = Principal(role: .bureau, region: "410100", name: "bureau 410100")
        var generator = SampleGenerator(seed: 41)
        let record = generator.next(region: Regions.region(code: "410100")).json
        let uscc = record["uscc"]!.stringValue!
        let created = RecordDiff.change(uscc: uscc, base: nil, baseRevision: nil, working: record)!
        _ = try await merge.apply(ChangeSet(id: "create", region: "410100", createdAt: "now", records: [created]), from: bureau)
        var edited = record
        FieldPath.set(&edited, path: "employees", to: .int(4_321))
        let changeSet = ChangeSet(id: "sent-twice", region: "410100", createdAt: "now",
                                  records: [RecordDiff.change(uscc: uscc, base: record, baseRevision: 1, working: edited)!])
        let gate = Gate()
        // The first instance: the change set merged and written, its commit held.
        let first = Task {
            try await database.write { register in
                let result = try merge.applyNow(changeSet, region: "410100", source: bureau.source, register: register)
                gate.arrive()
                gate.hold()
                return result.replayed
            }
        }
        try await gate.waitUntilReached()
        // The second instance: the same change set, as an agent's retry sends it.
        let second = Task { try await merge.apply(changeSet, from: bureau) }
        try await untilTheSecondWaits(database)
        gate.open()
        let (firstReplayed, answer) = (try await first.value, try await second.value)
        #expect(!firstReplayed && answer.replayed, "the second answer is a replay of the first")
        #expect(answer.records.map(\.revision) == [2])
        let history = try await database.read { try $0.history(of: uscc) }
        #expect(history.map(\.revision) == [1, 2], "the edit was merged once")
        #expect(history.filter { $0.changeSet == "sent-twice" }.count == 1)
        await database.close()
    }

    /// A change set planned ahead of the writer (`MergeService.prepare`) while another writer
    /// has written the same record and holds its commit (a province edit on another instance):
    /// the writer plans again once that commit is in, so that both edits stand. On SQLite the
    /// writer waits for the file's write lock before it checks the records; on PostgreSQL its
    /// check (`recordSequence`, `FOR UPDATE`) waits for the record's row. (Without that lock,
    /// tried as a mutant, this still passes on PostgreSQL: the stale revision's history row
    /// meets the edit's under the key (uscc, revision), and the transaction is retried, which
    /// plans again. The lock saves that retry; the outcome is what this checks.)
    @Test func aPlanMadeAheadOfARecordAnotherWriterHoldsIsMadeAgain() async throws {
        let database = try await TestRegister.open(folder + "/province.sqlite")
        let merge = MergeService(database: database)
        let bureau = Principal(role: .bureau, region: "410100", name: "bureau 410100")
        let (records, create) = created(1, seed: 47)
        _ = try await merge.apply(create, from: bureau)
        let record = records[0], uscc = record["uscc"]!.stringValue!
        var clocked = employees("ahead", of: record, to: 4_321)
        clocked.clock = HybridTimestamp(milliseconds: HybridClock.wallMilliseconds(), node: "410100")
        let changeSet = clocked
        let prepared = try #require(await merge.prepare(changeSet, region: "410100", source: bureau.source, answer: .documents))
        let context = context
        let gate = Gate()
        // The other instance: the province renames the record, its commit held.
        let edit = Task {
            try await database.write { register in
                let row = try #require(try register.record(uscc))
                var document = row.document
                FieldPath.set(&document, path: "name", to: "省里改的名字有限公司")
                try register.write([WritePlan.Revision(kind: .update, uscc: uscc, region: "410100", previous: row, document: document,
                                                       changedFields: ["name"])], context: context)
                gate.arrive()
                gate.hold()
            }
        }
        try await gate.waitUntilReached()
        let push = Task {
            try await database.write { register in
                try merge.applyInTransaction(changeSet, seal: ChangeSetSeal(changeSet), region: "410100", principal: bureau, answer: .documents,
                                             register: register, prepared: prepared)
            }
        }
        try await untilTheSecondWaits(database)
        gate.open()
        try await edit.value
        let (result, plannedAhead) = try await push.value
        #expect(!plannedAhead, "the plan made before the edit was written")
        #expect(result.records.map(\.revision) == [3])
        let now = try #require(try await database.read { try $0.record(uscc) })
        #expect(now.document["name"] == "省里改的名字有限公司" && now.document["employees"] == .int(4_321), "\(now.document)")
        await database.close()
    }

    /// The mass-change guard judges a region's change sets together even when they are merged
    /// at once on two instances: a merge first takes its region's activity row (`notePush`), so
    /// the second change set of the region waits for the first to commit and counts it. Here
    /// each changes 2 of the region's 6 records, under the guard's 3 alone, 4 (over half the
    /// region) together: the second is held. Without that row (a mutant whose `notePush` writes
    /// nothing), the second counts only itself and is applied.
    @Test func theGuardCountsAChangeSetOfTheRegionMergedAtTheSameTime() async throws {
        let database = try await TestRegister.open(folder + "/province.sqlite")
        let merge = MergeService(database: database, guardRule: MassChangeGuard(share: 0.5, minChanges: 3))
        let bureau = Principal(role: .bureau, region: "410100", name: "bureau 410100")
        var generator = SampleGenerator(seed: 43)
        let records = (0..<6).map { _ in generator.next(region: Regions.region(code: "410100")).json }
        _ = try await merge.apply(ChangeSet(id: "create", region: "410100", createdAt: "now",
                                            records: records.map { RecordDiff.change(uscc: $0["uscc"]!.stringValue!, base: nil, baseRevision: nil, working: $0)! }),
                                  from: bureau)
        func edits(_ id: String, _ chosen: ArraySlice<JSONValue>) -> ChangeSet {
            ChangeSet(id: id, region: "410100", createdAt: "now", records: chosen.map { record in
                var edited = record
                FieldPath.set(&edited, path: "employees", to: .int(7_777))
                return RecordDiff.change(uscc: record["uscc"]!.stringValue!, base: record, baseRevision: 1, working: edited)!
            })
        }
        let (a, b) = (edits("a", records[0..<2]), edits("b", records[2..<4]))
        let gate = Gate()
        // The first: what `apply` does (the region's activity, then the merge), its commit held.
        let first = Task {
            try await database.write { register in
                try register.notePush(region: "410100", at: MergeService.now(), changeSet: a.id, records: a.records.count, agent: nil)
                let result = try merge.applyNow(a, region: "410100", source: bureau.source, register: register)
                gate.arrive()
                gate.hold()
                return result.held
            }
        }
        try await gate.waitUntilReached()
        let second = Task { try await merge.apply(b, from: bureau) }
        try await untilTheSecondWaits(database)
        gate.open()
        let (firstHeld, answer) = (try await first.value, try await second.value)
        #expect(!firstHeld)
        #expect(answer.held, "the second change set counted only itself: \(answer.records.map(\.outcome))")
        await database.close()
    }

    /// Waits until the second writer waits for a lock the first holds (PostgreSQL: a session of
    /// the test's database waiting on a `Lock` event), so that the first's commit is released
    /// only once the second has read what it reads before it waits; on SQLite (one writer at a
    /// time, no such view) half a second.
    func untilTheSecondWaits(_ database: ProvinceDatabase) async throws {
        guard TestRegister.isPostgreSQL else { return try await Task.sleep(for: .milliseconds(500)) }
        var waiting = 0
        for _ in 0..<100 {
            waiting = Int(try database.sql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")) ?? 0
            if waiting > 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(waiting > 0, "the second writer never waited for the first")
    }

    /// A push of region 410100 merged as `MergeService.apply` merges it (the store judged and
    /// noted first, as `POST /v1/changesets` does), its commit held at `gate` until the test
    /// opens it. Returns whether the answer was a replay.
    func heldPush(_ changeSet: ChangeSet, seal: ChangeSetSeal? = nil, store: StoreIdentity? = nil, from principal: Principal,
                  merge: MergeService, gate: Gate) -> Task<Bool, any Error> {
        Task {
            try await merge.database.write { register in
                if let store { try StoreEpochs.admit(store, region: "410100", changeSet: changeSet.id, register: register) }
                let result = try merge.applyInTransaction(changeSet, seal: seal ?? ChangeSetSeal(changeSet), region: "410100", principal: principal,
                                                          answer: .documents, register: register).result
                gate.arrive()
                gate.hold()
                return result.replayed
            }
        }
    }

    /// The same push, not held, as another instance receives it.
    static func push(_ changeSet: ChangeSet, seal: ChangeSetSeal? = nil, store: StoreIdentity? = nil, from principal: Principal,
                     merge: MergeService) async throws -> ChangeSetResult {
        try await merge.applyTimed(changeSet, seal: seal, from: principal, before: { register in
            if let store { try StoreEpochs.admit(store, region: "410100", changeSet: changeSet.id, register: register) }
        }).result
    }

    /// `first` pushed on one instance (`heldPush`) and its commit held; `second` started
    /// meanwhile, as another instance receives it; the first released once the second waits for
    /// it. The first must be applied; returns how the second ended: its error, nil when it went
    /// through.
    func race(_ database: ProvinceDatabase, merge: MergeService, first: ChangeSet, seal: ChangeSetSeal? = nil, store: StoreIdentity? = nil,
              from principal: Principal, then second: @escaping @Sendable () async throws -> Void) async throws -> (any Error)? {
        let gate = Gate()
        let held = heldPush(first, seal: seal, store: store, from: principal, merge: merge, gate: gate)
        try await gate.waitUntilReached()
        let other = Task { try await second() }
        try await untilTheSecondWaits(database)
        gate.open()
        #expect(try await held.value == false, "the first push was answered as a replay")
        do {
            try await other.value
            return nil
        } catch {
            return error
        }
    }

    /// `count` new records of region 410100 and the change set that creates them.
    func created(_ count: Int, seed: UInt64) -> ([JSONValue], ChangeSet) {
        var generator = SampleGenerator(seed: seed)
        let records = (0..<count).map { _ in generator.next(region: Regions.region(code: "410100")).json }
        return (records, creating("create", records[...]))
    }

    /// The change set `id` that creates `records`.
    func creating(_ id: String, _ records: ArraySlice<JSONValue>) -> ChangeSet {
        ChangeSet(id: id, region: "410100", createdAt: "now", records: records.map {
            RecordDiff.change(uscc: $0["uscc"]!.stringValue!, base: nil, baseRevision: nil, working: $0)!
        })
    }

    /// A change set that sets `employees` of a record at revision 1.
    func employees(_ id: String, of record: JSONValue, to value: Int64) -> ChangeSet {
        var edited = record
        FieldPath.set(&edited, path: "employees", to: .int(value))
        return ChangeSet(id: id, region: "410100", createdAt: "now",
                         records: [RecordDiff.change(uscc: record["uscc"]!.stringValue!, base: record, baseRevision: 1, working: edited)!])
    }

    /// A bureau's signed chain stays one chain when its change sets land on two instances at
    /// once: the store and a copy of it (restored from a backup, or copied to a second machine)
    /// each seal a change set after the same head, on different records. The first is placed
    /// and its commit held; the second must wait for the chain's owner (its token's row, locked
    /// by `lastLink` in a write transaction), then find the first one there and be refused as a
    /// fork, its edit not merged. On PostgreSQL without that lock (a mutant whose `lastLink` only reads), the
    /// second reads the old head while the first has not committed, and both are accepted.
    @Test func aForkedChainReachingTwoWritersAtOnceIsRefused() async throws {
        let database = try await TestRegister.open(folder + "/province.sqlite")
        let merge = MergeService(database: database)
        let key = SigningKey()
        let tokens = TokenStore(database: database)
        let bureau = try #require(try await tokens.authenticate(try await tokens.add(role: .bureau, region: "410100", name: "bureau 410100",
                                                                                    publicKey: key.publicKey)))
        let (records, unsigned) = created(2, seed: 47)
        var create = unsigned
        let head = try create.sign(after: "", with: key)
        _ = try await merge.apply(create, seal: head, from: bureau)
        var (a, b) = (employees("store", of: records[0], to: 4_321), employees("copy-of-store", of: records[1], to: 8_765))
        let (sealA, sealB) = (try a.sign(after: head.hash, with: key), try b.sign(after: head.hash, with: key))
        let signedB = b
        let refused = try await race(database, merge: merge, first: a, seal: sealA, from: bureau) {
            _ = try await Self.push(signedB, seal: sealB, from: bureau, merge: merge)
        }
        guard case .brokenChain(let message)? = refused as? ServiceError else { Issue.record("the fork was not refused: \(String(describing: refused))"); return }
        #expect(message.contains("follows change set create") && message.contains("a fork"), "\(message)")
        let uscc = records[1]["uscc"]!.stringValue!
        #expect(try await database.read { try $0.history(of: uscc) }.map(\.revision) == [1], "the fork's edit was merged")
        let chain = try await database.read { register in try register.lastLink(of: .token(bureau.tokenId!)) }
        #expect(chain?.id == "store" && chain?.hash == sealA.hash)
        await database.close()
    }

    /// A chain start is allowed once per reset (here the key registered with the token): two
    /// change sets that each start a chain, merged at once on two instances (a store and a copy
    /// of it made before its first push), cannot both use it. The second waits for the token's
    /// row (`lastLink`), reads the reset again, finds it used up by the first, and is refused.
    /// On PostgreSQL, with the reset taken from the token as read before the lock (a mutant, and the code
    /// before this test), both start a chain: two chains of one key, both accepted.
    @Test func oneChainResetStartsOneChainWhenTwoChangeSetsUseItAtOnce() async throws {
        let database = try await TestRegister.open(folder + "/province.sqlite")
        let merge = MergeService(database: database)
        let key = SigningKey()
        let tokens = TokenStore(database: database)
        let bureau = try #require(try await tokens.authenticate(try await tokens.add(role: .bureau, region: "410100", name: "bureau 410100",
                                                                                    publicKey: key.publicKey)))
        let (records, _) = created(2, seed: 61)
        var (a, b) = (creating("store", records[0...0]), creating("copy-of-store", records[1...1]))
        let (sealA, sealB) = (try a.sign(after: "", with: key), try b.sign(after: "", with: key))
        let signedB = b
        let refused = try await race(database, merge: merge, first: a, seal: sealA, from: bureau) {
            _ = try await Self.push(signedB, seal: sealB, from: bureau, merge: merge)
        }
        guard case .brokenChain(let message)? = refused as? ServiceError else { Issue.record("the second chain start was not refused: \(String(describing: refused))"); return }
        #expect(message.contains("starts a new chain, but the province has accepted change sets signed with this token's key before"), "\(message)")
        #expect(try await database.read { try $0.record(records[1]["uscc"]!.stringValue!) } == nil, "the copy's change set was merged")
        await database.close()
    }

    /// A reconcile that registers a region's first store while a push from another store is
    /// being merged (and registers that store) on another instance: the reconcile must not
    /// overwrite the store whose change set was just merged. It inserts, waits for the region's
    /// key, and is refused once the push commits. On PostgreSQL, with an upsert (a mutant, and the code before
    /// this test) the reconcile replaced the store silently.
    @Test func aReconcileDoesNotOverwriteAStoreRegisteredByAPushAtTheSameTime() async throws {
        let database = try await TestRegister.open(folder + "/province.sqlite")
        let merge = MergeService(database: database)
        let bureau = Principal(role: .bureau, region: "410100", name: "bureau 410100")
        let (_, create) = created(1, seed: 67)
        let pushing = StoreIdentity(epoch: String(repeating: "d4", count: 16), cursor: 0, sequence: 1, changeSetSequence: 1)
        let refused = try await race(database, merge: merge, first: create, store: pushing, from: bureau) {
            _ = try await StoreEpochs(database: database).register(StoreRegistrationRequest(epoch: String(repeating: "e5", count: 16), replaces: nil,
                                                                                            cursor: 0, sequence: 0), region: "410100")
        }
        guard case .conflict(let message)? = refused as? ServiceError else { Issue.record("the reconcile was not refused: \(String(describing: refused))"); return }
        #expect(message.contains("the province knows store epoch \(pushing.epoch)"), "\(message)")
        #expect(try await StoreEpochs(database: database).registration(region: "410100")?.epoch == pushing.epoch)
        await database.close()
    }

    /// Two stores that the province hears from first at the same moment, on two instances (a
    /// bureau that set up a second machine with another store before either had pushed): one is
    /// registered, the other is refused as a new store, its change set not merged. The second
    /// waits for the region's key in `store_epochs`, which the first's insert holds, and is
    /// judged again once it is taken. On PostgreSQL without that key (a mutant that inserts with
    /// `ON CONFLICT DO NOTHING`), both stores are taken for the region's.
    @Test func twoStoresHeardFromFirstAtOnceRegisterOne() async throws {
        let database = try await TestRegister.open(folder + "/province.sqlite")
        let merge = MergeService(database: database)
        let bureau = Principal(role: .bureau, region: "410100", name: "bureau 410100")
        let (records, _) = created(2, seed: 53)
        let (a, b) = (creating("from-the-first", records[0...0]), creating("from-the-second", records[1...1]))
        let (firstStore, secondStore) = (StoreIdentity(epoch: String(repeating: "a1", count: 16), cursor: 0, sequence: 1, changeSetSequence: 1),
                                         StoreIdentity(epoch: String(repeating: "b2", count: 16), cursor: 0, sequence: 1, changeSetSequence: 1))
        let refused = try await race(database, merge: merge, first: a, store: firstStore, from: bureau) {
            _ = try await Self.push(b, store: secondStore, from: bureau, merge: merge)
        }
        #expect((refused as? StoreIdentityConflict)?.reason == .newStore, "\(String(describing: refused))")
        #expect(try await StoreEpochs(database: database).registration(region: "410100")?.epoch == firstStore.epoch)
        let uscc = records[1]["uscc"]!.stringValue!
        #expect(try await database.read { try $0.record(uscc) } == nil, "the second store's record was merged")
        await database.close()
    }

    /// A store and a copy of it each seal a change set under the same outbox number, and both
    /// land at once on two instances: the first is merged with its commit held; the second must
    /// be judged against what the first wrote (its region's row in `store_epochs` is the first
    /// one's until commit, `storeRegistration` in a write transaction) and refused as a number
    /// used twice. On PostgreSQL without that lock (a mutant that reads the row without `FOR UPDATE`) the
    /// second judges the row as it was before the first and is merged: two histories of one
    /// store, both accepted.
    @Test func aCopyOfAStoreSealingUnderTheSameNumberAtOnceIsRefused() async throws {
        let database = try await TestRegister.open(folder + "/province.sqlite")
        let merge = MergeService(database: database)
        let bureau = Principal(role: .bureau, region: "410100", name: "bureau 410100")
        let (records, create) = created(2, seed: 59)
        let epoch = String(repeating: "c3", count: 16)
        _ = try await Self.push(create, store: StoreIdentity(epoch: epoch, cursor: 0, sequence: 1, changeSetSequence: 1), from: bureau, merge: merge)
        let (a, b) = (employees("store-2", of: records[0], to: 4_321), employees("copy-2", of: records[1], to: 8_765))
        let both = StoreIdentity(epoch: epoch, cursor: 0, sequence: 2, changeSetSequence: 2)
        let refused = try await race(database, merge: merge, first: a, store: both, from: bureau) {
            _ = try await Self.push(b, store: both, from: bureau, merge: merge)
        }
        #expect((refused as? StoreIdentityConflict)?.reason == .sequenceReused, "\(String(describing: refused))")
        let known = try await StoreEpochs(database: database).registration(region: "410100")
        #expect(known?.lastChangeSet == "store-2" && known?.lastChangeSetSequence == 2)
        let uscc = records[1]["uscc"]!.stringValue!
        #expect(try await database.read { try $0.history(of: uscc) }.map(\.revision) == [1], "the copy's edit was merged")
        await database.close()
    }

    /// A record a writer loaded to merge stays its own until it commits: a second writer that
    /// loads it waits, then sees the first one's revision (and writes the next), so neither's
    /// edit is lost.
    @Test func aRecordLoadedForMergeWaitsForTheWriterThatHoldsIt() async throws {
        let database = try await TestRegister.open(folder + "/province.sqlite")
        let uscc = "91410100CCCCCCCCC3"
        let context = context
        try await database.write { register in _ = try register.write([revision(uscc, employees: 10)], context: context) }
        let gate = Gate()
        let first = Task {
            try await database.write { register in
                let previous = try register.recordsForMerge([uscc])[uscc]
                gate.arrive()
                gate.hold()
                return try register.write([revision(uscc, previous: previous, employees: 11)], context: context)[0].revision
            }
        }
        try await gate.waitUntilReached()
        let secondLoaded = Mutex<Int64?>(nil)
        let second = Task {
            try await database.write { register in
                let previous = try register.recordsForMerge([uscc])[uscc]
                secondLoaded.withLock { $0 = previous?.revision }
                return try register.write([revision(uscc, previous: previous, employees: 12)], context: context)[0].revision
            }
        }
        try await Task.sleep(for: .milliseconds(500))
        #expect(secondLoaded.withLock { $0 } == nil, "the second writer loaded the record while the first held it")
        gate.open()
        let (a, b) = (try await first.value, try await second.value)
        #expect(a == 2 && b == 3 && secondLoaded.withLock { $0 } == 2)
        let history = try await database.read { try $0.history(of: uscc) }
        #expect(history.map(\.revision) == [1, 2, 3])
        await database.close()
    }
}
