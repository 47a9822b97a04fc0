import Foundation
import Hummingbird
import Logging
import NIOCore
import SyncCore

/// Turns every error into the API's JSON error body `{"error": CODE, "message": TEXT}` with the
/// right status, so that nothing leaks as a bare 500 and a client always learns why.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ServiceError {
            if error.status >= 500 { context.logger.error("\(request.method) \(request.uri.path): \(error)") }
            return Self.response(status: error.status, code: error.code, message: error.description)
        } catch let conflict as StoreIdentityConflict {
            // The usual {error, message} with the verdict and both sides' numbers, for the agent.
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return Response(status: .conflict, headers: [.contentType: "application/json; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: (try? encoder.encode(conflict)) ?? Data())))
        } catch let error as NIOTooManyBytesError {
            return Self.response(status: 413, code: "too_large", message: "request body is larger than the limit (\(error.maxBytes.map(String.init) ?? "?") bytes)")
        } catch let error as HTTPError {
            return Self.response(status: Int(error.status.code), code: "http_\(error.status.code)", message: error.body ?? error.status.reasonPhrase)
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
