import Aggregator
import ArgumentParser
import CommandSupport
import EnterpriseModel
import Foundation
import SyncCore

struct RecordsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "records", abstract: "Read and edit the merged register.", subcommands: [Get.self, History.self, Set.self, Export.self])

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a record with its revision and the provenance of each field.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The credit code.") var uscc: String

        func run() async throws {
            try await reporting {
                let (_, database) = try await options.open()
                let code: String
                do { code = try USCC(uscc).rawValue } catch { throw CommandFailure(message: "\(error)", code: .usage) }
                let view = try await MergeService(database: database).record(code, for: .provinceCLI(user: NSUserName()))
                try printJSON(view)
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a record's revisions, oldest first: who changed which fields, from what to what.",
            discussion: """
                The province keeps what each revision changed (a new record whole, then each field's old and new value); \
                --json prints every revision with its changes and the whole record after it.
                """)
        @OptionGroup var options: ConfigOption
        @Argument(help: "The credit code.") var uscc: String
        @Flag(help: "Print JSON: every revision with its changes and the record after it.") var json = false

        func run() async throws {
            try await reporting {
                let (_, database) = try await options.open()
                let code: String
                do { code = try USCC(uscc).rawValue } catch { throw CommandFailure(message: "\(error)", code: .usage) }
                let revisions = try await MergeService(database: database).history(code, for: .provinceCLI(user: NSUserName()))
                if json { try printJSON(revisions); return }
                for revision in revisions {
                    printSafe("revision \(revision.revision)  \(BeijingTime.text(revision.at))  \(revision.source)  \(revision.changeSet)")
                    switch revision.op {
                    case "create": printSafe("    created with \(plural(revision.document.map { FieldPath.flatten($0).count } ?? 0, "field"))")
                    case "delete": printSafe("    deleted (an approved delete request)")
                    default:
                        if revision.changes.isEmpty { printSafe("    no field changed (a decision kept the values)") }
                        for field in revision.changes.keys.sorted() {
                            let change = revision.changes[field]!
                            printSafe("    \(field): \(change.from?.canonicalString ?? "(absent)") → \(change.to?.canonicalString ?? "(absent)")")
                        }
                    }
                }
            }
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Edit fields of a record as the province (recorded with provenance and history).",
            discussion: """
                Values are JSON: srdi='{"year":2025,"batch":1,"validUntil":"2027-12-31"}' name='"新名称"' employees=120

                FIELD must be a field records have (\(EnterpriseRecord.knownFields.sorted().joined(separator: ", ")), and the \
                members of contact, srdi, littleGiant, aboveDesignatedSize and supportMeasures), and so must every member of \
                an object value: a typo such as employes=5 is refused (exit 2) with the field most likely meant, and nothing \
                is written. (A bureau's record may carry members this version does not know, kept for a newer agent; the \
                command line edits only the fields it knows.)
                """)
        @OptionGroup var options: ConfigOption
        @Argument(help: "The credit code.") var uscc: String
        @Argument(help: "FIELD=JSON assignments; FIELD is a path such as contact.phone.") var assignments: [String]
        @Option(help: "Who makes the edit (default: cli.by of the config); kept with the revision.") var by: String?

        func run() async throws {
            try await reporting {
                var set: [String: JSONValue] = [:]
                for assignment in assignments {
                    guard let eq = assignment.firstIndex(of: "=") else { throw CommandFailure(message: "\(assignment): expected FIELD=JSON", code: .usage) }
                    let field = String(assignment[..<eq])
                    let text = String(assignment[assignment.index(after: eq)...])
                    do { set[field] = try JSONValue.parse(text) } catch {
                        throw CommandFailure(message: "\(field): the value is not JSON (\(error)); write text in quotes: \(field)='\"…\"'", code: .usage)
                    }
                    if let unknown = EnterpriseRecord.unknownField(FieldPath.components(field), value: set[field]) {
                        throw CommandFailure(message: "\(unknown) (nothing was written)", code: .usage)
                    }
                }
                let (_, who, database) = try await options.open(by: by)
                let code: String
                do { code = try USCC(uscc).rawValue } catch { throw CommandFailure(message: "\(error)", code: .usage) }
                let view = try await MergeService(database: database).patch(code, RecordPatch(set: set), by: .provinceCLI(user: who))
                print("record \(code) is now at revision \(view.revision)")
            }
        }
    }
}
