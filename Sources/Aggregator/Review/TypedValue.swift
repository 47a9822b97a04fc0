import EnterpriseModel
import Foundation
import SyncCore

/// A reviewer's new value as typed on the review page or after `conflicts resolve --value`:
/// read by the kind of the conflict's field (`RecordFieldKind`), so a name is typed as the name,
/// a count as digits, and only an object or a list as JSON. The API takes JSON as it is.
public enum TypedValue {
    /// The kind of value the conflict's field takes: the schema's for a known field, a
    /// transfer's region code is text, and a field this version does not know is read as the
    /// kind of the values the conflict holds (JSON when they tell nothing).
    public static func kind(of conflict: ConflictView) -> RecordFieldKind {
        if conflict.kind == "transfer" { return .text }
        if let kind = RecordFieldKind.of(conflict.field) { return kind }
        return [conflict.incoming, conflict.current, conflict.expected].lazy.compactMap { $0.flatMap(RecordFieldKind.of(value:)) }.first ?? .structure
    }

    /// The value `typed` means for the conflict's field. Text is taken as typed, trimmed; text
    /// in JSON quotes (`"新名称"`, as this command took it before) is the text inside them.
    public static func read(_ typed: String, for conflict: ConflictView) throws(TypedValueError) -> JSONValue {
        let kind = kind(of: conflict)
        let text = typed.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw TypedValueError(field: conflict.field, kind: kind, typed: typed, problem: .empty) }
        switch kind {
        case .text:
            if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\""), case .string(let inner)? = try? JSONValue.parse(text) { return .string(inner) }
            return .string(text)
        case .integer:
            let value: JSONValue
            do { value = try JSONValue.parse(text) } catch {
                throw TypedValueError(field: conflict.field, kind: kind, typed: typed, problem: .notJSON(error))
            }
            guard case .int = value else { throw TypedValueError(field: conflict.field, kind: kind, typed: typed, problem: .notAWholeNumber) }
            return value
        case .structure:
            do { return try JSONValue.parse(text) } catch {
                throw TypedValueError(field: conflict.field, kind: kind, typed: typed, problem: .notJSON(error))
            }
        }
    }

    /// A value as it is typed for its field: text without quotes, structures as indented JSON.
    public static func text(_ value: JSONValue?, kind: RecordFieldKind) -> String {
        switch (value, kind) {
        case (nil, _): ""
        case (.string(let text)?, .text): text
        case (let value?, _): String(decoding: value.prettyBytes(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }
}

/// A typed value that does not fit its field, with what was typed and why.
public struct TypedValueError: Error, Sendable, CustomStringConvertible {
    public enum Problem: Sendable {
        case empty
        /// Read, but not a whole number (`12.5`, `"12"`, `true`).
        case notAWholeNumber
        /// Not readable as JSON: the parser's reason, which names the character it stopped at.
        case notJSON(JSONParseError)
    }

    public var field: String
    public var kind: RecordFieldKind
    public var typed: String
    public var problem: Problem

    public var description: String {
        switch problem {
        case .empty: "no value given for \(field)"
        case .notAWholeNumber: "\(field) takes a whole number, e.g. 123; found \(typed)"
        case .notJSON(let error) where kind == .integer: "\(field) takes a whole number, e.g. 123; found \(typed) (\(error))"
        case .notJSON(let error): "\(field) takes JSON (an object or a list): \(error)"
        }
    }
}
