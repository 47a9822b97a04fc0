/// A county-level division (district, county, county-level city or NBS development zone).
public struct County: Sendable, Hashable {
    /// The 6-digit GB/T 2260 / NBS code, e.g. "410307".
    public let code: String
    /// The Chinese name, e.g. "偃师区".
    public let name: String

    public init(code: String, name: String) {
        self.code = code
        self.name = name
    }
}
