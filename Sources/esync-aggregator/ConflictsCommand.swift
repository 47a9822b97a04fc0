import Aggregator
import ArgumentParser
import CommandSupport
import EnterpriseModel
import Foundation
import SyncCore

struct ConflictsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conflicts",
        abstract: "The review queue: list, show and decide conflicts.",
        discussion: "A conflict is a field both a bureau and the province changed, a delete request, or a move between regions. Every decision is kept (who, when, values, note) and makes a new revision that the bureau receives on its next pull.",
        subcommands: [List.self, Show.self, Resolve.self, Reopen.self])

    static let kinds = ConflictService.Filter.kinds

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List conflicts (open ones by default).")
        @OptionGroup var options: ConfigOption
        @Option(help: "open, resolved, auto (decided by a rule), withdrawn (a delete request the bureau took back) or all.") var status = "open"
        @Flag(help: "The decisions rules made (the same as --status auto): what lost, which rule, the inputs.") var auto = false
        @Option(help: "Only this region (6-digit code).") var region: String?
        @Option(help: "Only this field, e.g. name or contact.phone.") var field: String?
        @Option(help: "field, authority, delete, transfer or recovered (a value a restored province lost, sent back by a bureau).") var kind: String?
        @Option(help: "Only conflicts raised longer ago than this: 90m, 12h, 7d, 2w.") var olderThan: String?
        @Flag(help: "Print JSON for scripts.") var json = false

        func validate() throws {
            if let region { try validateRegion(region) }
            try validateChoice(status, of: "--status", among: ConflictService.Filter.statuses)
            if let kind { try validateChoice(kind, of: "--kind", among: ConflictsCommand.kinds) }
        }

        func run() async throws {
            try await reporting {
                let (_, database) = try await options.open()
                let status = auto ? "auto" : self.status
                let filter = ConflictService.Filter(status: status == "all" ? nil : status, region: region, field: field, kind: kind,
                                                    createdBefore: try olderThan.map { age throws(ServiceError) in try ConflictService.Filter.createdBefore(age: age) })
                let service = ConflictService(database: database)
                let reviewer = Principal.provinceCLI(user: NSUserName())
                let list = try await service.list(filter, for: reviewer)
                if json { printJSON(ConflictList(conflicts: list).json); return }
                if list.isEmpty { print("no \(status == "all" ? "" : status + " ")conflicts"); return }
                let names = try await service.enterpriseNames(list.map(\.uscc), for: reviewer)
                var rows = [["ID", "CREDIT CODE", "ENTERPRISE", "REGION", "FIELD", "KIND", "PROVINCE HAS", "BUREAU ASKS", "FROM", "SINCE"] + (status == "open" ? [] : ["DECISION"])]
                for c in list {
                    let sides = ConflictsCommand.sides(c)
                    rows.append(["\(c.id)", c.uscc, Self.short(names[c.uscc] ?? "—", limit: 20), "\(c.region) \(Regions.region(code: c.region)?.name ?? "")", c.field, c.kind,
                                 Self.short(sides.current), Self.short(sides.incoming), c.source, BeijingTime.text(c.createdAt)]
                                + (status == "open" ? [] : ["\(c.decision?.rawValue ?? "open") \(c.note ?? "")"]))
                }
                print(TextTable.render(rows))
                print(plural(list.count, "\(status == "all" ? "" : status + " ")conflict"))
            }
        }

        static func short(_ text: String, limit: Int = 28) -> String {
            text.count > limit ? String(text.prefix(limit - 1)) + "…" : text
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one conflict with both values, both provenances and the record.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The conflict id.") var id: Int64
        @Flag(help: "Print JSON for scripts.") var json = false

        func run() async throws {
            try await reporting {
                let (_, database) = try await options.open()
                let reviewer = Principal.provinceCLI(user: NSUserName())
                let c = try await ConflictService(database: database).show(id, for: reviewer)
                if json { printJSON(c.json); return }
                let record = try await MergeService(database: database).record(c.uscc, for: reviewer)
                let name = record.document["name"]?.stringValue ?? ""
                printSafe("conflict \(c.id) (\(c.kind), \(c.status)) on \(c.uscc) \(name), region \(c.region) \(Regions.region(code: c.region)?.name ?? "")")
                let sides = ConflictsCommand.sides(c)
                printSafe("field:            \(c.kind == "delete" ? "* (the whole record)" : c.field)")
                printSafe("bureau started:   \(sides.expected)")
                printSafe("province has:     \(sides.current)" + (record.provenance[c.field].map { "   set by \($0.source) at \(BeijingTime.text($0.at, seconds: true)) (revision \($0.revision))" } ?? ""))
                printSafe("bureau asks:      \(sides.incoming)   from \(c.source), change set \(c.changeSet), \(BeijingTime.text(c.createdAt, seconds: true))")
                if let origin = c.origin { printSafe("recovered from:   \(origin)") }
                if !c.isOpen {
                    printSafe("decided:          \(c.decision?.rawValue ?? "?") by \(c.resolvedBy ?? "?") at \(c.resolvedAt.map { BeijingTime.text($0, seconds: true) } ?? "?") → revision \(c.revision ?? 0)"
                          + (c.value.map { ", value \($0.canonicalString)" } ?? "") + (c.note.map { ", note: \($0)" } ?? ""))
                } else {
                    print("record now at revision \(record.revision); decide with: esync-aggregator conflicts resolve \(c.id) " + ConflictsCommand.choices(c) + " --note TEXT")
                }
            }
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decide a conflict, or every open conflict a filter selects: keep the province's value, take the bureau's, or set a new value.",
            discussion: """
                One conflict: `resolve ID --keep-current --note TEXT`, or `resolve ID --value 洛阳新名称有限公司`: a new \
                value is typed as the field takes it: text as it is (no quotes needed), a number as digits, an object or a \
                list (contact, supportMeasures) as JSON.
                In bulk: `resolve --region 410100 --field employees --older-than 7d --take-incoming --note TEXT` decides every \
                open conflict the filters select, one by one; one that cannot take the decision (decided meanwhile, a value \
                that does not fit) is reported and the others go on. `--dry-run` lists them first. Without an ID at least \
                one filter, or --all-open, is needed.
                Exit codes: 0 decided, 1 failure, 2 bad command line, 3 some conflicts of a bulk decision were not decided.
                """)
        @OptionGroup var options: ConfigOption
        @Argument(help: "The conflict id (leave out to decide in bulk over the filters).") var id: Int64?
        @Flag(help: "The province's current value stays.") var keepCurrent = false
        @Flag(help: "The bureau's value (or its delete request) is taken.") var takeIncoming = false
        @Option(help: "A new value: text as it is for a text field, digits for a number field, JSON for an object or a list.") var value: String?
        @Option(help: "Why; kept with the decision.") var note: String?
        @Option(help: "Who decides (default: cli.by of the config); kept with the decision.") var by: String?
        @Option(help: "Bulk: only this region (6-digit code).") var region: String?
        @Option(help: "Bulk: only this field.") var field: String?
        @Option(help: "Bulk: only this kind (field, authority, delete, transfer, recovered: values a restored province lost, sent back by the bureaus).") var kind: String?
        @Option(help: "Bulk: only conflicts raised longer ago than this: 90m, 12h, 7d, 2w.") var olderThan: String?
        @Flag(help: "Bulk: every open conflict (needed when no other filter is given).") var allOpen = false
        @Flag(help: "Bulk: list what would be decided, decide nothing.") var dryRun = false

        func validate() throws {
            guard [keepCurrent, takeIncoming, value != nil].filter({ $0 }).count == 1 else {
                throw ValidationError("give exactly one of --keep-current, --take-incoming or --value VALUE")
            }
            let filtered = region != nil || field != nil || kind != nil || olderThan != nil || allOpen
            if id != nil && (filtered || dryRun) { throw ValidationError("give a conflict id or filters (--region, --field, --kind, --older-than, --all-open), not both") }
            if id == nil && !filtered { throw ValidationError("give a conflict id, or filters for a bulk decision (--all-open for every open conflict)") }
            if let region { try validateRegion(region) }
            if let kind { try validateChoice(kind, of: "--kind", among: ConflictsCommand.kinds) }
        }

        func run() async throws {
            try await reporting {
                // A dry run decides nothing, so it needs no name to record.
                let (_, who, database) = try await options.open(by: by, required: !dryRun)
                let service = ConflictService(database: database)
                let reviewer = Principal.provinceCLI(user: who)
                let decision: ConflictView.Decision = keepCurrent ? .keepCurrent : takeIncoming ? .takeIncoming : .value
                if let id {
                    var resolution = Resolution(decision: decision, note: note)
                    if let value {
                        do { resolution.value = try TypedValue.read(value, for: try await service.show(id, for: reviewer)) } catch let error as TypedValueError {
                            throw CommandFailure(message: "--value: \(error)", code: .usage)
                        }
                    }
                    let decided = try await service.resolve(id, resolution, by: reviewer)
                    printSafe("conflict \(id) decided (\(decided.decision?.rawValue ?? "")): record \(decided.uscc) is now at revision \(decided.revision ?? 0)")
                    return
                }
                let filter = ConflictService.Filter(region: region, field: field, kind: kind,
                                                    createdBefore: try olderThan.map { age throws(ServiceError) in try ConflictService.Filter.createdBefore(age: age) },
                                                    limit: 100_000)
                if dryRun {
                    let list = try await service.list(filter, for: reviewer)
                    for c in list { printSafe("would decide conflict \(c.id): \(c.uscc) \(c.field) (\(c.kind), region \(c.region))") }
                    print("\(plural(list.count, "open conflict")) \(list.count == 1 ? "matches" : "match"); nothing decided (--dry-run)")
                    return
                }
                let outcomes = if let value {
                    try await service.resolveAll(filter, typedValue: value, note: note, by: reviewer)
                } else {
                    try await service.resolveAll(filter, Resolution(decision: decision, note: note), by: reviewer)
                }
                var failed = 0
                for (conflict, outcome) in outcomes {
                    if let decided = outcome.decided {
                        printSafe("conflict \(decided.id) decided (\(decided.decision?.rawValue ?? "")): \(decided.uscc) \(decided.field) → revision \(decided.revision ?? 0)")
                    } else {
                        failed += 1
                        printSafe("conflict \(conflict.id) not decided: \(conflict.uscc) \(conflict.field): \(outcome.failure ?? "?")")
                    }
                }
                print("\(outcomes.count - failed) of \(plural(outcomes.count, "conflict")) decided" + (failed > 0 ? "; \(failed) not (see above)" : ""))
                if failed > 0 { throw CommandFailure(message: "\(plural(failed, "conflict")) \(failed == 1 ? "was" : "were") not decided", code: .skipped) }
            }
        }
    }
}

extension ConflictsCommand {
    /// The three values of a conflict as an operator reads them: a delete request is about the
    /// whole record, whose content hashes say only whether it changed since the bureau saw it.
    static func sides(_ c: ConflictView) -> (expected: String, current: String, incoming: String) {
        guard c.kind == "delete" else {
            return (c.expected?.canonicalString ?? "(absent)", c.current?.canonicalString ?? "(absent)", c.incoming?.canonicalString ?? "(absent)")
        }
        let changed = c.expected == nil || c.expected != c.current
        return ("the record as the bureau last had it", changed ? "the record, changed since" : "the record, unchanged",
                "delete the record")
    }

    /// The decisions a conflict takes, in its own words: a delete request has no value to set.
    static func choices(_ c: ConflictView) -> String {
        switch c.kind {
        case "delete": "--keep-current (keep the record) | --take-incoming (delete it)"
        case "transfer": "--keep-current (stay) | --take-incoming (move) | --value REGION"
        default: "--keep-current | --take-incoming | --value VALUE"
        }
    }

    struct Reopen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Re-open a decision a rule made (see `list --auto`), for a reviewer to decide.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The conflict id.") var id: Int64
        @Option(help: "Who re-opens (default: cli.by of the config); kept with the conflict.") var by: String?

        func run() async throws {
            try await reporting {
                let (_, who, database) = try await options.open(by: by)
                let view = try await ConflictService(database: database).reopen(id, by: .provinceCLI(user: who))
                printSafe("conflict \(id) on \(view.uscc) \(view.field) is open again; decide it with `esync-aggregator conflicts resolve \(id) …`")
            }
        }
    }
}
