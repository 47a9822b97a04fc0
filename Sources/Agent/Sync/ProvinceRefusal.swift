import Foundation
import SyncCore

/// An answer of the province other than 200, by what it means for the request, so that the sync
/// decides by meaning (`.tooLarge`: split the change set; `.forbidden`, `.notFound`: no longer
/// this bureau's to see) and only messages show the HTTP status.
///
/// For example, the outbox splits a change set in two on:
///
///     catch .server(let refusal) where refusal.kind == .tooLarge && sent.records.count > 1
public struct ProvinceRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The request is malformed or breaks a rule (400, 422).
        case invalid
        /// The credentials are missing or unknown (401).
        case unauthorized
        /// This bureau may not do or see this (403).
        case forbidden
        /// No such thing, or not for this bureau (404).
        case notFound
        /// The request contradicts the province's state (409): a delete request already decided.
        case conflict
        /// The body is larger than the province accepts; nothing of it was applied (413).
        case tooLarge
        /// The province failed or is unavailable (5xx).
        case unavailable
        /// Any other status.
        case other
    }

    /// The HTTP status, for messages only.
    public let status: Int
    /// The province's error code (`APIErrorBody.error`, such as `bad_signature`), or `http_STATUS`.
    public let code: String
    public let message: String
    public let url: String
    /// How long the province asks to be left alone before the next try (its `Retry-After`: a
    /// 503 while its database fails over, for instance), when it said.
    public let retryAfterSeconds: Double?

    public init(status: Int, code: String, message: String, url: String, retryAfterSeconds: Double? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.url = url
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// The seconds a `Retry-After` header asks for: a number of seconds, or an HTTP date (RFC
    /// 9110, 10.2.3); at most a day, never negative. Nil when absent or unreadable.
    public static func retryAfter(_ header: String?, now: Date = Date()) -> Double? {
        guard let text = header?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        if let seconds = Int(text) { return seconds >= 0 ? Double(min(seconds, 86_400)) : nil }
        let format = DateFormatter()
        format.locale = Locale(identifier: "en_US_POSIX")
        format.timeZone = TimeZone(identifier: "GMT")
        format.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = format.date(from: text) else { return nil }
        return min(max(date.timeIntervalSince(now), 0), 86_400)
    }

    public var kind: Kind {
        switch status {
        case 400, 422: .invalid
        case 401: .unauthorized
        case 403: .forbidden
        case 404: .notFound
        case 409: .conflict
        case 413: .tooLarge
        case 500...: .unavailable
        default: .other
        }
    }

    /// The province no longer shows this to the bureau (a record moved away, a conflict of
    /// another region): the bureau stops waiting for it.
    public var isNotVisible: Bool { kind == .forbidden || kind == .notFound }

    /// The province will never take this change set as it is, whatever is sent after it. (Not
    /// `out_of_order`: one sent after another that was not applied, taken when sent again in turn.)
    public var refusesChangeSet: Bool { [.invalid, .forbidden, .conflict, .tooLarge].contains(kind) && code != ChangeSetAfter.outOfOrder }

    /// `403: the message`, as the log lines about one record show it.
    public var brief: String { "\(status): \(message)" }

    /// `403 forbidden: the message`, the reason a refused change set is kept with.
    public var reason: String { "\(status) \(code): \(message)" }

    public var description: String {
        "the province answered \(status) \(code) for \(url): \(message)" + (retryAfterSeconds.map { "; it asks to be asked again in \(Int($0.rounded(.up))) s" } ?? "")
    }
}
