import EnterpriseModel
import Foundation
import SyncCore
import Yams

/// docs/openapi.yaml as the end-to-end tests hold the aggregator to it: every answer a test
/// receives through `AggregatorProcess.request` must be of a route and method the document
/// has, with a status it lists for them, and a JSON body must match that status's schema.
///
/// The schemas are checked with the subset of JSON Schema the document uses: `type` (one or a
/// list, so `[string, "null"]` is nullable), `properties`, `required`, `additionalProperties`
/// (false or a schema), `items`, `enum`, `const`, `pattern`, `minimum`, `maximum`, `minLength`,
/// `maxLength`, `anyOf`, `oneOf` and `$ref` into `components`. Anything else in a schema is
/// description and is not checked.
struct OpenAPIContract: Sendable {
    /// What does not match, each naming the place in the body (`records[2].outcome`).
    struct Violation: Error, CustomStringConvertible {
        var description: String
    }

    let document: JSONValue

    /// The repository's docs/openapi.yaml, read once.
    static let shared: Result<OpenAPIContract, Violation> = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent("docs/openapi.yaml").path
        do {
            return .success(try OpenAPIContract(yaml: try String(contentsOfFile: path, encoding: .utf8)))
        } catch {
            return .failure(Violation(description: "\(path): \(error)"))
        }
    }()

    init(yaml: String) throws {
        guard let loaded = try Yams.load(yaml: yaml) else { throw Violation(description: "the document is empty") }
        document = try Self.json(loaded)
    }

    /// YAML as Yams loads it, as a `JSONValue` (keys as text, whatever YAML made of them).
    static func json(_ value: Any) throws(Violation) -> JSONValue {
        switch value {
        case is NSNull: return .null
        case let b as Bool: return .bool(b)
        case let i as Int: return .int(Int64(i))
        case let d as Double: return .double(d)
        case let s as String: return .string(s)
        case let list as [Any]:
            var out: [JSONValue] = []
            for item in list { out.append(try json(item)) }
            return .array(out)
        case let map as [AnyHashable: Any]:
            var out: JSONObject = [:]
            for (key, item) in map { out["\(key.base)"] = try json(item) }
            return .object(out)
        case let map as [String: Any]:
            var out: JSONObject = [:]
            for (key, item) in map { out[key] = try json(item) }
            return .object(out)
        default:
            throw Violation(description: "YAML value \(value) (\(type(of: value))) has no JSON form")
        }
    }

    // MARK: - Answers

    /// Checks one answer: `path` as requested (a query is ignored), the status, the media type
    /// of `Content-Type`, and the body.
    func check(method: String, path requested: String, status: Int, contentType: String?, body: [UInt8]) throws(Violation) {
        let path = String(requested.prefix { $0 != "?" })
        let what = "\(method) \(path) → \(status)"
        guard let (template, item) = route(path) else {
            // A path the aggregator has no route for answers 404 `http_404`, which no route documents.
            if status == 404, isRoutingMiss(body) { return }
            throw Violation(description: "\(what): the route is not in docs/openapi.yaml")
        }
        guard let operation = item[method.lowercased()]?.objectValue else {
            // Hummingbird answers a method a route does not take as it answers no route.
            if status == 404, isRoutingMiss(body) { return }
            throw Violation(description: "\(what): docs/openapi.yaml has no \(method) for \(template)")
        }
        guard status != 404 || !isRoutingMiss(body) else {
            throw Violation(description: "\(what): the aggregator has no such route, but docs/openapi.yaml has \(method) \(template)")
        }
        let responses = operation["responses"]?.objectValue ?? [:]
        guard let declared = responses[String(status)] ?? responses["default"] else {
            throw Violation(description: "\(what): status \(status) is not documented for \(method) \(template) (documented: \(responses.keys.sorted().joined(separator: ", ")))")
        }
        let response = try resolve(declared)
        let content = response["content"]?.objectValue ?? [:]
        guard !content.isEmpty else { return }
        let mediaType = (contentType ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard let media = content[mediaType]?.objectValue else {
            throw Violation(description: "\(what): Content-Type \(contentType ?? "none") is not documented (documented: \(content.keys.sorted().joined(separator: ", ")))")
        }
        guard mediaType == "application/json", let schema = media["schema"] else { return }
        let value: JSONValue
        do { value = try JSONValue.parse(body) } catch {
            throw Violation(description: "\(what): the body is not JSON: \(error)")
        }
        var problems: [String] = []
        validate(value, against: schema, at: "", problems: &problems)
        guard problems.isEmpty else {
            throw Violation(description: "\(what): the body does not match docs/openapi.yaml: \(problems.prefix(5).joined(separator: "; "))\n\(String(decoding: body.prefix(600), as: UTF8.self))")
        }
    }

    /// The error body Hummingbird's router gives for a path or method it has no route for.
    func isRoutingMiss(_ body: [UInt8]) -> Bool {
        (try? JSONValue.parse(body))?["error"]?.stringValue == "http_404"
    }

    /// The document's path template that `path` is of, and its path item: literal segments
    /// must be equal, `{name}` takes any one segment; a template with more literal segments
    /// wins (`/review/report.csv` over `/review/{x}`).
    func route(_ path: String) -> (String, JSONObject)? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        var best: (template: String, item: JSONObject, literals: Int)?
        for (template, item) in document["paths"]?.objectValue ?? [:] {
            let parts = template.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == segments.count, let item = item.objectValue else { continue }
            var literals = 0
            var matches = true
            for (part, segment) in zip(parts, segments) {
                if part.hasPrefix("{") && part.hasSuffix("}") { matches = matches && !segment.isEmpty; continue }
                if part == segment { literals += 1 } else { matches = false }
            }
            if matches, literals > (best?.literals ?? -1) { best = (template, item, literals) }
        }
        return best.map { ($0.template, $0.item) }
    }

    /// A `$ref` followed to its target (repeatedly); anything else as it is.
    func resolve(_ node: JSONValue) throws(Violation) -> JSONObject {
        var current = node
        for _ in 0..<16 {
            guard let reference = current["$ref"]?.stringValue else { return current.objectValue ?? [:] }
            current = try target(reference)
        }
        throw Violation(description: "a $ref loop at \(node)")
    }

    func target(_ reference: String) throws(Violation) -> JSONValue {
        guard reference.hasPrefix("#/") else { throw Violation(description: "$ref \(reference) is not inside the document") }
        var node = document
        for part in reference.dropFirst(2).split(separator: "/") {
            let key = part.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            guard let next = node[key] else { throw Violation(description: "$ref \(reference) names nothing") }
            node = next
        }
        return node
    }

    // MARK: - Schemas

    /// Appends to `problems` each way `value` does not match `schema`, naming the place.
    func validate(_ value: JSONValue, against schema: JSONValue, at place: String, problems: inout [String]) {
        let here = place.isEmpty ? "the body" : place
        if let reference = schema["$ref"]?.stringValue {
            do { validate(value, against: try target(reference), at: place, problems: &problems) } catch { problems.append("\(here): \(error)") }
            // A $ref beside other keywords (description) adds no checks of its own here.
            return
        }
        guard let rules = schema.objectValue else { return }
        if let alternatives = rules["anyOf"]?.arrayValue ?? rules["oneOf"]?.arrayValue {
            var matching = 0
            var firstProblems: [String]?
            for alternative in alternatives {
                var found: [String] = []
                validate(value, against: alternative, at: place, problems: &found)
                if found.isEmpty { matching += 1 } else if firstProblems == nil { firstProblems = found }
            }
            if matching == 0 {
                problems.append("\(here) matches none of \(alternatives.count) alternatives (first: \(firstProblems?.joined(separator: "; ") ?? "?"))")
            } else if rules["oneOf"] != nil, matching > 1 {
                problems.append("\(here) matches \(matching) alternatives of a oneOf")
            }
        }
        if let types = rules["type"].map({ $0.arrayValue ?? [$0] })?.compactMap(\.stringValue), !types.contains(where: { Self.isOf(value, type: $0) }) {
            problems.append("\(here) is \(value.typeName), not \(types.joined(separator: " or "))")
            return
        }
        if let allowed = rules["enum"]?.arrayValue, !allowed.contains(where: { Self.same($0, value) }) {
            problems.append("\(here) is \(value.canonicalString), not one of \(allowed.map(\.canonicalString).joined(separator: ", "))")
        }
        if let constant = rules["const"], !Self.same(constant, value) {
            problems.append("\(here) is \(value.canonicalString), not \(constant.canonicalString)")
        }
        switch value {
        case .string(let text):
            if let pattern = rules["pattern"]?.stringValue, text.range(of: pattern, options: .regularExpression) == nil {
                problems.append("\(here) \(WireLimits.quoted(text)) does not match \(pattern)")
            }
            if let least = rules["minLength"]?.intValue, text.count < least { problems.append("\(here) is shorter than \(least)") }
            if let most = rules["maxLength"]?.intValue, text.count > most { problems.append("\(here) is longer than \(most)") }
        case .int, .double:
            let number = value.doubleValue
            if let least = rules["minimum"]?.doubleValue, number < least { problems.append("\(here) is \(number), below \(least)") }
            if let most = rules["maximum"]?.doubleValue, number > most { problems.append("\(here) is \(number), above \(most)") }
        case .array(let items):
            if let itemSchema = rules["items"] {
                for (n, item) in items.enumerated() { validate(item, against: itemSchema, at: "\(place)[\(n)]", problems: &problems) }
            }
        case .object(let members):
            let properties = rules["properties"]?.objectValue ?? [:]
            for name in rules["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where members[name] == nil {
                problems.append("\(here) has no \(name)")
            }
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                let at = place.isEmpty ? name : "\(place).\(name)"
                if let property = properties[name] {
                    validate(member, against: property, at: at, problems: &problems)
                } else if let extra = rules["additionalProperties"] {
                    if extra == .bool(false) { problems.append("\(here) has \(name), which the schema does not list") } else {
                        validate(member, against: extra, at: at, problems: &problems)
                    }
                }
            }
        case .null, .bool:
            break
        }
    }

    static func isOf(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object), ("integer", .int), ("number", .int), ("number", .double):
            return true
        case ("integer", .double(let d)):
            return d.rounded() == d
        default:
            return false
        }
    }

    /// Equal as JSON values (a whole double equals the integer).
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.int, .double), (.double, .int), (.double, .double): return a.doubleValue == b.doubleValue
        default: return a == b
        }
    }
}

extension JSONValue {
    /// A number as a Double (NaN for anything else).
    var doubleValue: Double {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: .nan
        }
    }
}
