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
///   contact: { authority: region, onConflict: latest, merge: prefer-non-empty }
///   supportMeasures: { authority: region, onConflict: review, merge: union, key: [measure, date] }
///   status: { authority: region, onConflict: review, merge: forward-only, order: [active, relocated, closed] }
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
            guard let mapping = node.mapping else { throw fail(node, "\(name): expected { authority: region|province, onConflict: region|province|latest|review }") }
            var authority: FieldPolicy.Authority?
            var onConflict: FieldPolicy.ConflictRule?
            var mergeName: Node?
            var key: [String]?
            var order: [String]?
            func texts(_ value: Node, _ what: String) throws(Error) -> [String] {
                guard let list = value.sequence, !list.isEmpty else { throw fail(value, "\(name).\(what): expected a list such as [a, b]") }
                var out: [String] = []
                for item in list {
                    guard let text = item.string, !text.isEmpty else { throw fail(item, "\(name).\(what): every item must be text") }
                    if out.contains(text) { throw fail(item, "\(name).\(what): \(text) is listed twice") }
                    out.append(text)
                }
                return out
            }
            for (keyNode, value) in mapping {
                switch keyNode.string {
                case "authority":
                    guard let a = value.string.flatMap(FieldPolicy.Authority.init) else { throw fail(value, "\(name).authority must be region or province, found \(value.string ?? "?")") }
                    authority = a
                case "onConflict":
                    guard let c = value.string.flatMap(FieldPolicy.ConflictRule.init) else { throw fail(value, "\(name).onConflict must be region, province, latest or review, found \(value.string ?? "?")") }
                    onConflict = c
                case "merge": mergeName = value
                case "key": key = try texts(value, "key")
                case "order": order = try texts(value, "order")
                default:
                    throw fail(keyNode, "\(name): unknown key \(keyNode.string ?? "?") (expected authority, onConflict, merge, key, order)")
                }
            }
            guard let authority, let onConflict else { throw fail(node, "\(name): needs both authority and onConflict") }
            var merge: MergeOperator?
            switch mergeName?.string {
            case nil: break
            case "prefer-non-empty": merge = .preferNonEmpty
            case "max": merge = .max
            case "union":
                guard let key else { throw fail(mergeName, "\(name): merge: union needs key: the members that name a list item, e.g. key: [measure, date]") }
                merge = .union(key: key)
            case "forward-only":
                guard let order, order.count >= 2 else { throw fail(mergeName, "\(name): merge: forward-only needs order: the states from first to last, e.g. order: [active, relocated, closed]") }
                merge = .forwardOnly(order: order)
            case let other?:
                throw fail(mergeName, "\(name).merge must be prefer-non-empty, max, union or forward-only, found \(other)")
            }
            if key != nil, mergeName?.string != "union" { throw fail(node, "\(name): key belongs to merge: union") }
            if order != nil, mergeName?.string != "forward-only" { throw fail(node, "\(name): order belongs to merge: forward-only") }
            return FieldPolicy.Rule(authority: authority, onConflict: onConflict, merge: merge)
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
