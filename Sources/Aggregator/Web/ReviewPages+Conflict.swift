import EnterpriseModel
import Foundation
import Hummingbird
import Logging
import SyncCore

/// One conflict's page, and the decisions taken on it.
extension ReviewPages {
    /// What a reviewer typed into the decision form, shown again with the reason when the
    /// decision could not be taken: a long note is not lost to a typing slip.
    struct Draft {
        var value: String
        var note: String
        var flash: ReviewPageModels.Flash
        var status: HTTPResponse.Status
    }

    func conflictPage(_ id: Int64, _ session: ReviewSessions.Session, draft: Draft? = nil) async throws -> Response {
        let principal = session.principal
        let c = try await conflicts.show(id, for: principal)
        let record = try? await merge.record(c.uscc, for: principal)
        let history = try await conflicts.fieldHistory(uscc: c.uscc, field: c.field, for: principal)
        let sides = ReviewText.sides(c)
        // The current value's provenance: the last revision up to the conflict that set that
        // value (times have one-second steps, so the value decides, not the time alone). Later
        // revisions are marked in the history; the bureau's base is found the same way.
        let earlier = history.filter { $0.at <= c.createdAt }
        let before = earlier.last { c.kind == "delete" || $0.value == c.current } ?? earlier.last
        let base = c.kind == "field" ? earlier.last { $0.value == c.expected } : nil
        var changedSince: String?
        if c.isOpen, c.kind == "field", let record {
            let now = FieldPath.value(at: c.field, in: record.document)
            if now != c.current && now != c.incoming { changedSince = ReviewText.value(now) }
        }
        let decision = c.isOpen ? nil : ReviewPageModels.Decision(
            label: ReviewText.decisionLabel(c.decision, kind: c.kind) + " \(c.decision?.rawValue ?? "")",
            by: c.resolvedBy.map(ReviewText.sourceLabel) ?? "—", at: ReviewText.time(c.resolvedAt),
            revision: c.revision.map(String.init) ?? "—", value: c.decision == .value ? ReviewText.value(c.value) : nil, note: c.note)
        let (keep, take) = ReviewText.decisionButtons(c)
        let valueKind = TypedValue.kind(of: c)
        let model = ReviewPageModels.Conflict(
            title: "冲突 #\(c.id)", nav: nav(session, queue: true), flash: draft?.flash ?? Self.flash(session), csrf: session.csrf,
            id: c.id, uscc: c.uscc, enterpriseName: record?.document["name"]?.stringValue ?? "—", regionLabel: ReviewText.regionLabel(c.region),
            field: c.field, fieldLabel: ReviewText.fieldLabel(c.field), kind: c.kind, kindLabel: ReviewText.kindLabel(c.kind), origin: c.origin,
            status: c.status, statusLabel: ReviewText.statusLabel(c.status), createdAt: ReviewText.time(c.createdAt), age: ReviewText.ago(c.createdAt),
            recordRevision: record.map { "\($0.revision)" + ($0.deleted ? "（已删除）" : "") } ?? "—",
            expected: sides.expected, current: sides.current, incoming: sides.incoming,
            expectedProvenance: base.map { .init(source: ReviewText.sourceLabel($0.source), changeSet: $0.changeSet, at: ReviewText.time($0.at)) },
            currentProvenance: before.map { .init(source: ReviewText.sourceLabel($0.source), changeSet: $0.changeSet, at: ReviewText.time($0.at)) },
            incomingProvenance: .init(source: ReviewText.sourceLabel(c.source), changeSet: c.changeSet, at: ReviewText.time(c.createdAt)),
            changedSince: changedSince, isOpen: c.isOpen, decision: decision, reopenable: c.status == "auto", keepLabel: keep, takeLabel: take,
            allowsValue: c.kind != "delete", valueDefault: draft?.value ?? TypedValue.text(c.incoming, kind: valueKind),
            valueHint: ReviewText.valueHint(valueKind), noteDraft: draft?.note ?? "", isWholeRecord: c.field == "*",
            history: history.map { entry in
                ReviewPageModels.HistoryRow(revision: entry.revision, at: ReviewText.time(entry.at), source: ReviewText.sourceLabel(entry.source),
                                            changeSet: entry.changeSet, value: ReviewText.value(entry.value),
                                            fields: entry.fields.joined(separator: ", "),
                                            afterConflict: before.map { entry.revision > $0.revision } ?? (entry.at > c.createdAt))
            })
        return Self.render(model, template: "conflict", status: draft?.status ?? .ok)
    }

    /// A decision from the conflict's page. A value that does not fit the field, or a decision
    /// the service refuses, shows the page again with the reason and what was typed.
    func resolve(_ id: Int64, _ form: FormData, _ session: ReviewSessions.Session, _ context: AggregatorRequestContext) async throws -> Response {
        let typed = form["value"] ?? "", note = form["note"] ?? ""
        func again(_ message: String, _ status: HTTPResponse.Status) async throws -> Response {
            try await conflictPage(id, session, draft: Draft(value: typed, note: note, flash: .init(lines: [message], isError: true), status: status))
        }
        guard let decision = form["decision"].flatMap(ConflictView.Decision.init) else {
            return try await again("请选择一个决定。", .badRequest)
        }
        var value: JSONValue?
        if decision == .value {
            let conflict = try await conflicts.show(id, for: session.principal)
            do { value = try TypedValue.read(typed, for: conflict) } catch {
                return try await again("冲突 #\(id) 未处理：" + ReviewText.valueProblem(error), .unprocessableContent)
            }
        }
        let resolution = Resolution(decision: decision, value: value, note: ReviewText.note(note))
        do {
            let decided = try await conflicts.resolve(id, resolution, by: session.principal)
            context.logger.info("conflict decided", metadata: ["id": "\(id)", "decision": "\(decision.rawValue)", "by": "\(session.principal.source)"])
            return try await flashAndRedirect(session, .init(["冲突 #\(id) 已决定：\(ReviewText.decisionLabel(decision, kind: decided.kind))，"
                                                               + "记录 \(decided.uscc) 现为修订 \(decided.revision ?? 0)。区局下次拉取时收到这个决定和备注。"]),
                                              to: "/review")
        } catch let error as ServiceError where error.statusCode < 500 && error.statusCode != 404 {
            return try await again("冲突 #\(id) 未处理：" + ReviewText.refusal(error), .init(code: error.statusCode))
        }
    }

    func reopen(_ id: Int64, _ session: ReviewSessions.Session, _ context: AggregatorRequestContext) async throws -> Response {
        let page = "/review/conflicts/\(id)"
        do {
            _ = try await conflicts.reopen(id, by: session.principal)
            context.logger.info("conflict re-opened", metadata: ["id": "\(id)", "by": "\(session.principal.source)"])
            return try await flashAndRedirect(session, .init(["冲突 #\(id) 已重新打开，等待审核。"]), to: page)
        } catch let error as ServiceError where error.statusCode < 500 && error.statusCode != 404 {
            return try await flashAndRedirect(session, .init(["冲突 #\(id) 未能重新打开：" + ReviewText.refusal(error)], isError: true), to: page)
        }
    }
}
