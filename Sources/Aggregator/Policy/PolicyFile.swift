import Foundation
import SyncCore
import Yams

/// Reads the field policy from YAML (`Config/policy.yaml` is the shipped default), refusing a
/// policy that would silently do something else than it says: errors name the file and line.
///
/// ```yaml
/// default: { authority: region, onConflict: review }
/// deletes: review
/// fields:
///   srdi: { authority: province, onConflict: province }
/// ```
public enum PolicyFile {
    public struct Error: Swift.Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public static func load(path: String) throws(Error) -> FieldPolicy {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw Error(description: "\(path): cannot read the field policy: \(error.localizedDescription)")
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws(Error) -> FieldPolicy {
        func fail(_ node: Node?, _ reason: String) -> Error {
            Error(description: "\(file):\(node?.mark?.line ?? 1): \(reason)")
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else { throw fail(nil, "the policy is empty") }
            root = node
        } catch let error as Error {
            throw error
        } catch {
            throw Error(description: "\(file): not YAML: \(error)")
        }
        guard let top = root.mapping else { throw fail(root, "expected a mapping with default, deletes and fields") }

        func rule(_ node: Node, named name: String) throws(Error) -> FieldPolicy.Rule {
            guard let mapping = node.mapping else { throw fail(node, "\(name): expected { authority: region|province, onConflict: region|province|review }") }
            var authority: FieldPolicy.Authority?
            var onConflict: FieldPolicy.ConflictRule?
            for (key, value) in mapping {
                switch key.string {
                case "authority":
                    guard let a = value.string.flatMap(FieldPolicy.Authority.init) else { throw fail(value, "\(name).authority must be region or province, found \(value.string ?? "?")") }
                    authority = a
                case "onConflict":
                    if value.string == "latest" { throw fail(value, "\(name).onConflict: latest is not available yet (it needs the hybrid logical clock); use region, province or review") }
                    guard let c = value.string.flatMap(FieldPolicy.ConflictRule.init) else { throw fail(value, "\(name).onConflict must be region, province or review, found \(value.string ?? "?")") }
                    onConflict = c
                default:
                    throw fail(key, "\(name): unknown key \(key.string ?? "?") (expected authority, onConflict)")
                }
            }
            guard let authority, let onConflict else { throw fail(node, "\(name): needs both authority and onConflict") }
            return FieldPolicy.Rule(authority: authority, onConflict: onConflict)
        }

        var policy = FieldPolicy(rules: [:], defaultRule: FieldPolicy.standard.defaultRule)
        for (key, value) in top {
            switch key.string {
            case "default":
                policy.defaultRule = try rule(value, named: "default")
            case "deletes":
                guard value.string == "review" else { throw fail(value, "deletes: only review is supported (a reviewer decides every delete request)") }
                policy.deletes = .review
            case "fields":
                guard let fields = value.mapping else { throw fail(value, "fields: expected a mapping of field paths to rules") }
                for (name, ruleNode) in fields {
                    guard let field = name.string, !field.isEmpty else { throw fail(name, "a field name must be text") }
                    if field == "uscc" { throw fail(name, "uscc is the record's identity and never changes; it takes no rule") }
                    policy.rules[field] = try rule(ruleNode, named: field)
                }
            default:
                throw fail(key, "unknown key \(key.string ?? "?") (expected default, deletes, fields)")
            }
        }
        if policy.rules["region"]?.authority == .region {
            throw fail(root, "region must have authority province: a move between regions is a transfer the province approves")
        }
        return policy
    }
}
