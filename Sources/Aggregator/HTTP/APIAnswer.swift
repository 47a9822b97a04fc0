import CompressNIO
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SyncCore

/// How the API answers: JSON for most, the canonical JSON writer (gzip when asked) for the hot
/// answers, CSV for report tables.
enum APIAnswer {
    static func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body: Data
        do { body = try encoder.encode(value) } catch { throw ServiceError.internalError("cannot encode the answer: \(error)") }
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The hot answers (change set results, change pages) in the canonical JSON writer.
    /// `request`: one whose `Accept-Encoding` allows zstd or gzip gets a body over 1 kB
    /// compressed (push answers and change pages: mostly field names and hex hashes, a third of
    /// the bytes), in zstd when it takes both (a fifth of gzip's CPU, for fewer bytes).
    static func wire(_ value: some WireJSON, for request: Request? = nil) -> Response {
        let bytes = value.encoded()
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if let request, bytes.count > 1024 {
            let accepted = request.headers[.acceptEncoding]
            if accepts("zstd", in: accepted), let compressed = Zstd.compress(bytes) {
                headers[.contentEncoding] = "zstd"
                headers[.vary] = "Accept-Encoding"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: compressed)))
            }
            var plain = ByteBuffer(bytes: bytes)
            if accepts("gzip", in: accepted), let compressed = try? plain.compress(with: .gzip()) {
                headers[.contentEncoding] = "gzip"
                headers[.vary] = "Accept-Encoding"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: compressed))
            }
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// `Accept-Encoding` lists `coding` (`gzip`, `zstd`) with a weight above 0 (`gzip`,
    /// `gzip;q=0.5`; not `gzip;q=0`).
    static func accepts(_ coding: String, in header: String?) -> Bool {
        guard let header else { return false }
        return header.lowercased().split(separator: ",").contains { item in
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.first == coding else { return false }
            let weight = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return weight > 0
        }
    }

    static func csv(_ table: ReportTable) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"report-\(table.name).csv\""
        headers[.cacheControl] = "no-store"
        // A byte order mark so that spreadsheet programs read the Chinese as UTF-8.
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "\u{FEFF}" + table.csv)))
    }

    /// A decoding error as a path and a reason.
    static func describe(_ error: any Error) -> String {
        guard let decoding = error as? DecodingError else { return "\(error)" }
        switch decoding {
        case .dataCorrupted(let c), .keyNotFound(_, let c), .typeMismatch(_, let c), .valueNotFound(_, let c):
            let path = c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
            let key: String
            if case .keyNotFound(let k, _) = decoding { key = " (missing \(k.stringValue))" } else { key = "" }
            return "\(path.isEmpty ? "document" : String(path.drop(while: { $0 == "." }))): \(c.debugDescription)\(key)"
        @unknown default:
            return "\(error)"
        }
    }
}
