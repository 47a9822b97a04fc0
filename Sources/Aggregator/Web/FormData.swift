import Foundation

/// An `application/x-www-form-urlencoded` body as the review pages' forms send it. A name may
/// repeat (the queue's checkboxes send one `id` per ticked row), so values are kept in order.
struct FormData: Sendable {
    var pairs: [(name: String, value: String)]

    init(_ bytes: [UInt8]) {
        pairs = String(decoding: bytes, as: UTF8.self).split(separator: "&").compactMap { part in
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(pieces[0]), !name.isEmpty else { return nil }
            return (name, pieces.count > 1 ? Self.decode(pieces[1]) ?? "" : "")
        }
    }

    subscript(_ name: String) -> String? {
        pairs.first { $0.name == name }?.value
    }

    func all(_ name: String) -> [String] {
        pairs.filter { $0.name == name }.map(\.value)
    }

    static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
