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

    public init(status: Int, code: String, message: String, url: String) {
        self.status = status
        self.code = code
        self.message = message
        self.url = url
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

    /// The province will never take this change set as it is, whatever is sent after it.
    public var refusesChangeSet: Bool { [.invalid, .forbidden, .conflict, .tooLarge].contains(kind) }

    /// `403: the message`, as the log lines about one record show it.
    public var brief: String { "\(status): \(message)" }

    /// `403 forbidden: the message`, the reason a refused change set is kept with.
    public var reason: String { "\(status) \(code): \(message)" }

    public var description: String { "the province answered \(status) \(code) for \(url): \(message)" }
}
