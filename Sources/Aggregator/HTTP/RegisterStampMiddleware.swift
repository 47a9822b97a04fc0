import HTTPTypes
import Hummingbird
import Synchronization
import SyncCore

/// Puts `ESync-Register: REGISTER; generation=GENERATION` on every answer of the API to a
/// signed-in caller, errors included, so that an agent learns which register, and which life of it, it syncs with (see
/// `RegisterStamp`). Read from the register once, with the first request: a restore changes the
/// generation only while no `serve` has the register open. With it, `ESync-Accepts`: the forms
/// of a change set this province takes beyond format 1's first (`ProvinceAccepts`).
struct RegisterStampMiddleware<Context: RequestContext>: RouterMiddleware {
    let database: ProvinceDatabase
    private let cached = Cached()

    private final class Cached: Sendable {
        let value = Mutex<String?>(nil)
    }

    init(database: ProvinceDatabase) { self.database = database }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let stamp = try await self.stamp()
        do {
            var response = try await next(request, context)
            response.headers[Self.name] = stamp
            response.headers[Self.accepts] = Self.accepted
            return response
        } catch let error as any HTTPResponseError {
            var response = try error.response(from: request, context: context)
            response.headers[Self.name] = stamp
            response.headers[Self.accepts] = Self.accepted
            return response
        }
    }

    private func stamp() async throws -> String {
        if let known = cached.value.withLock({ $0 }) { return known }
        let read = try await database.read { register in try register.registerIdentity().stamp.description }
        cached.value.withLock { $0 = read }
        return read
    }

    static var name: HTTPField.Name { HTTPField.Name(RegisterStamp.header)! }
    static var accepts: HTTPField.Name { HTTPField.Name(ProvinceAccepts.header)! }
    static var accepted: String { ProvinceAccepts.all.joined(separator: ", ") }
}
