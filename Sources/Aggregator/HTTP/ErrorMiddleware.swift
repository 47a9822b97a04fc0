import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SyncCore

/// The service's refusals answer for themselves: the API's JSON error body
/// `{"error": CODE, "message": TEXT}` with their status.
extension ServiceError: HTTPResponseError {
    public var status: HTTPResponse.Status { .init(code: statusCode) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        ErrorMiddleware<AggregatorRequestContext>.response(status: statusCode, code: code, message: description)
    }
}

/// A store that is not the one the province knows: 409 with the verdict and both sides'
/// numbers, for the agent (the usual {error, message} members included).
extension StoreIdentityConflict: HTTPResponseError {
    public var status: HTTPResponse.Status { .conflict }

    public func response(from request: Request, context: some RequestContext) throws -> Response { conflictResponse(self) }
}

/// A store that synced with another generation or register: 409 with both stamps (the usual
/// {error, message} members included), for the agent to heal or stop.
extension RegisterMismatch: HTTPResponseError {
    public var status: HTTPResponse.Status { .conflict }

    public func response(from request: Request, context: some RequestContext) throws -> Response { conflictResponse(self) }
}

/// 409 with `body` as its JSON (sorted keys): an error that is its own answer.
private func conflictResponse(_ body: some Encodable) -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return Response(status: .conflict, headers: [.contentType: "application/json; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(bytes: (try? encoder.encode(body)) ?? Data())))
}

/// Turns every error into a response: errors that know their own (`HTTPResponseError`) give
/// it, anything else is a 500 with the same JSON body, so that nothing leaks as a bare 500 and
/// a client always learns why. Server errors are logged.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as NIOTooManyBytesError {
            return Self.response(status: 413, code: "too_large", message: "request body is larger than the limit (\(error.maxBytes.map(String.init) ?? "?") bytes)")
        } catch let error as ServiceError {
            if error.statusCode >= 500 { context.logger.error("\(request.method) \(request.uri.path): \(error)") }
            return try error.response(from: request, context: context)
        } catch let error as PostgresRegisterError where error.unavailable {
            // The database is down, restarting, failing over, or not answering: nothing is
            // wrong with the request; the agent tries again later.
            context.logger.error("\(request.method) \(request.uri.path): \(error)")
            var response = Self.response(status: 503, code: "register_unavailable",
                                         message: "the province's register (its database) cannot be reached now; try again later")
            response.headers[.retryAfter] = "5"
            return response
        } catch let error as HTTPError {
            return Self.response(status: Int(error.status.code), code: "http_\(error.status.code)", message: error.body ?? error.status.reasonPhrase)
        } catch let error as any HTTPResponseError {
            if error.status.code >= 500 { context.logger.error("\(request.method) \(request.uri.path): \(error)") }
            return try error.response(from: request, context: context)
        } catch {
            context.logger.error("\(request.method) \(request.uri.path): \(error)")
            return Self.response(status: 500, code: "internal", message: "internal error; the aggregator's log has the details")
        }
    }

    static func response(status: Int, code: String, message: String) -> Response {
        let body = (try? JSONEncoder().encode(APIErrorBody(error: code, message: message))) ?? Data()
        return Response(status: .init(code: status), headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
