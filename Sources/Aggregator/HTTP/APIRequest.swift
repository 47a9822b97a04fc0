import CompressNIO
import EnterpriseModel
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SyncCore

/// Reading a request: its body within the limits, and the parameters every controller checks
/// the same way.
struct APIRequest: Sendable {
    let maxBodyBytes: Int
    let bodyTimeoutSeconds: Int

    /// The request body, refused with 413 before it is read when its declared length is too
    /// large, and measured after decompression when it is gzip or zstd (a small bomb is refused
    /// early; see `Zstd`).
    func body(_ request: Request) async throws -> [UInt8] {
        let limit = maxBodyBytes
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            throw ServiceError.tooLarge("request body of \(declared) bytes is larger than the limit of \(limit) bytes")
        }
        var buffer = try await collect(request.body, upTo: limit)
        if let encoding = request.headers[.contentEncoding]?.lowercased(), encoding != "identity" {
            if encoding == "zstd" {
                do { return try Zstd.decompress(Array(buffer.readableBytesView), limit: limit) } catch {
                    switch error {
                    case .tooLarge: throw ServiceError.tooLarge("zstd body decompresses to more than the limit of \(limit) bytes")
                    case .corrupt(let reason): throw ServiceError.badRequest("zstd body cannot be decompressed: \(reason)")
                    }
                }
            }
            guard encoding == "gzip" else { throw ServiceError.badRequest("Content-Encoding \(encoding) is not supported (use gzip or zstd)") }
            do {
                buffer = try buffer.decompress(with: .gzip(), maxSize: limit)
            } catch let error as CompressNIOError where error == .bufferOverflow {
                throw ServiceError.tooLarge("gzip body decompresses to more than the limit of \(limit) bytes")
            } catch {
                throw ServiceError.badRequest("gzip body cannot be decompressed: \(error)")
            }
        }
        return Array(buffer.readableBytesView)
    }

    /// The body within `limits.bodyTimeoutSeconds` (408 after it: a body trickled a byte at a
    /// time would otherwise hold its connection for as long as the peer likes).
    func collect(_ body: RequestBody, upTo limit: Int) async throws -> ByteBuffer {
        let seconds = bodyTimeoutSeconds
        return try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask { try await body.collect(upTo: limit) }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let buffer = first else {
                throw ServiceError.timeout("the request body did not arrive within \(seconds) s (limits.bodyTimeoutSeconds)")
            }
            return buffer
        }
    }

    static func uscc(_ context: AggregatorRequestContext) throws -> String {
        guard let raw = context.parameters.get("uscc") else { throw ServiceError.badRequest("missing credit code") }
        do { return try USCC(raw).rawValue } catch { throw ServiceError.badRequest("\(error)") }
    }

    static func conflictID(_ context: AggregatorRequestContext) throws -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else { throw ServiceError.badRequest("conflict id must be a positive integer") }
        return id
    }

    /// The region a request is about: a bureau's own (naming another is 403), or the one a
    /// reviewer or editor names.
    static func region(for principal: Principal, _ asked: String?, example: String) throws -> String {
        switch principal.role {
        case .bureau:
            let own = principal.region ?? ""
            if let asked, asked != own { throw ServiceError.forbidden("the bureau of \(own) may not read region \(asked)") }
            return own
        case .reviewer, .editor:
            guard let asked, Regions.region(code: asked) != nil else { throw ServiceError.badRequest("a reviewer must name the region: \(example)") }
            return asked
        }
    }

    /// The identity a bureau's store sends with a push or pull (nil for reviewers, and for an
    /// agent that sends none); a store configured for another region than its credentials' is
    /// refused before anything is registered or handed out.
    static func storeIdentity(_ request: Request, _ principal: Principal) throws -> StoreIdentity? {
        guard principal.role == .bureau else { return nil }
        let identity: StoreIdentity?
        do {
            identity = try StoreIdentity { name in HTTPField.Name(name).flatMap { request.headers[$0] } }
        } catch {
            throw ServiceError.badRequest("store identity header \(error)")
        }
        if let identity { try refuseForeignStore(claiming: identity.region, principal: principal) }
        return identity
    }

    /// A store configured for one region with the credentials of another (a config that kept
    /// the example's region code) would otherwise take the other bureau's region over and fill
    /// a store labelled with the wrong region.
    static func refuseForeignStore(claiming claimed: String?, principal: Principal) throws {
        guard let claimed, let region = principal.region, claimed != region else { return }
        func named(_ code: String) -> String { "\(code) (\(Regions.region(code: code)?.name ?? "unknown region"))" }
        throw ServiceError.forbidden("this store is configured for region \(named(claimed)), but its credentials (token or client certificate) belong to region \(named(region)): set `region:` in the agent's config to \(region), or use the token of \(claimed); nothing was registered or sent")
    }
}
