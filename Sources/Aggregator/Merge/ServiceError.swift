import SyncCore

/// What the province's services refuse, with the status an HTTP caller gets and the context a
/// person needs (the record, the field, the region).
public enum ServiceError: Error, CustomStringConvertible, Sendable {
    case badRequest(String)
    case unauthorized(String)
    case forbidden(String)
    case notFound(String)
    case conflict(String)
    case tooLarge(String)
    case invalidRecord(uscc: String, reason: String)
    case unsupportedFormat(Int)
    /// A change set without a valid signature by the key registered with the caller's token.
    case badSignature(String)
    /// A change set that does not follow the last one the province accepted from its store.
    case brokenChain(String)
    /// A change set sent after another (`ESync-After`) that the province did not accept: nothing applied.
    case outOfOrder(String)
    /// A request body that did not arrive in time (`limits.bodyTimeoutSeconds`).
    case timeout(String)
    case internalError(String)

    /// The HTTP status an API caller gets.
    public var statusCode: Int {
        switch self {
        case .badRequest, .unsupportedFormat: 400
        case .unauthorized, .badSignature: 401
        case .forbidden: 403
        case .notFound: 404
        case .timeout: 408
        case .conflict, .brokenChain, .outOfOrder: 409
        case .tooLarge: 413
        case .invalidRecord: 422
        case .internalError: 500
        }
    }

    public var code: String {
        switch self {
        case .badRequest: "bad_request"
        case .unsupportedFormat: "unsupported_format"
        case .unauthorized: "unauthorized"
        case .forbidden: "forbidden"
        case .notFound: "not_found"
        case .conflict: "conflict"
        case .tooLarge: "too_large"
        case .invalidRecord: "invalid_record"
        case .badSignature: "bad_signature"
        case .brokenChain: "broken_chain"
        case .outOfOrder: ChangeSetAfter.outOfOrder
        case .timeout: "request_timeout"
        case .internalError: "internal"
        }
    }

    public var description: String {
        switch self {
        case .badRequest(let m), .unauthorized(let m), .forbidden(let m), .notFound(let m), .conflict(let m), .tooLarge(let m), .internalError(let m),
             .badSignature(let m), .brokenChain(let m), .outOfOrder(let m), .timeout(let m):
            return m
        case .invalidRecord(let uscc, let reason):
            return "record \(uscc): \(reason)"
        case .unsupportedFormat(let f):
            return "wire format \(f) is not supported (this aggregator speaks format 1)"
        }
    }
}
