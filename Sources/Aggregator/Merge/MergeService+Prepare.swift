import Foundation
import SyncCore

/// Merging ahead of the writer, from a read snapshot (see `prepare`).
extension MergeService {
    /// A change set merged ahead of the writer: the records it touches as a read snapshot had
    /// them, and the plan made from them (`ChangeSetMerge.plan`).
    struct Prepared: Sendable {
        var stored: [String: StoredRecord]
        /// The change sequence's last number when they were read.
        var sequence: Int64
        var plan: WritePlan

        /// Whether the register still holds the records as planned from: none of them written
        /// since (every write of a record, a province edit, a decision or a transfer as much as
        /// a merge, gives it a new `seq`, and its provenance moves only with it). Where writers
        /// run at once, the records are locked from here on (`RecordStorage.unchanged`).
        func isCurrent(in register: any RegisterTransaction, codes: [String]) throws -> Bool {
            try register.unchanged(codes, stored: stored, since: sequence)
        }
    }

    /// Merges a change set from a read snapshot, outside the writer, so that the writer's
    /// transaction (which every other merge of the province waits for) only checks that the
    /// records are as planned from and writes the plan; the writer plans again when they are
    /// not. The planning is a pure function of the records (`ChangeSetMerge`), so both give the
    /// same plan from the same records.
    /// Nil, and the writer plans as it always did, when the change set cannot be planned ahead:
    /// without a clock of its own (its edit time is the province clock's next tick, taken by the
    /// writer), already applied (a resend is answered from its stored result), or refused (the
    /// writer refuses it again, after what it checks first).
    /// A large change set (`Self.splitAt` records or more, no record twice) that is the only one
    /// being merged is read and planned in two halves at once, each in a read transaction of its
    /// own: a bureau's push sends its change sets one after another, and the province's other
    /// cores were idle while one was planned (with other change sets waiting, they are busy
    /// already). The halves' plans joined are the plan of the whole (`ChangeSetMerge.joined`);
    /// the records are checked from the earlier of the two snapshots.
    func prepare(_ changeSet: ChangeSet, region: String, source: String, answer: AnswerForm) async -> Prepared? {
        guard let clock = changeSet.clock else { return nil }
        var context = WriteContext(source: source, changeSet: changeSet.id, at: Self.now(), clock: ProvinceClock.heard(clock))
        context.answer = answer
        let halves = planning.heldByOneAlone ? ChangeSetMerge.halves(of: changeSet, splitAt: Self.splitAt) : [changeSet]
        guard halves.count == 2 else { return await prepare(changeSet, region: region, context: context) }
        async let first = prepare(halves[0], region: region, context: context)
        async let second = prepare(halves[1], region: region, context: context)
        guard let first = await first, let second = await second else { return nil }
        let stored = first.stored.merging(second.stored) { one, _ in one }
        return Prepared(stored: stored, sequence: min(first.sequence, second.sequence),
                        plan: ChangeSetMerge.joined(first.plan, second.plan, of: changeSet, stored: stored))
    }

    /// The size from which a change set is planned in two halves (`prepare`).
    static let splitAt = 128

    private func prepare(_ changeSet: ChangeSet, region: String, context: WriteContext) async -> Prepared? {
        try? await database.read { [self] register -> Prepared? in
            guard try register.appliedChangeSet(changeSet.id) == nil else { return nil }
            let stored = try register.recordsForMerge(changeSet.records.map(\.uscc))
            return Prepared(stored: stored, sequence: try register.lastChangeSequence(),
                            plan: try ChangeSetMerge.plan(changeSet, region: region, stored: stored, policy: policy, context: context,
                                                          clocks: register.fieldClocks))
        }
    }
}
