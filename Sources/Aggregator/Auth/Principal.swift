/// Who is calling: a region's bureau, or a provincial reviewer (who also edits the province's
/// fields).
public struct Principal: Sendable, Equatable {
    public enum Role: String, Sendable, Codable {
        /// A region's bureau: pushes and pulls its own region's records.
        case bureau
        /// A provincial reviewer: decides conflicts and held change sets, and edits.
        case reviewer
        /// A province editor: edits records and imports designation lists; decides nothing.
        case editor
    }

    public var role: Role
    /// The bureau's region; nil for reviewers.
    public var region: String?
    public var name: String
    /// The token the caller presented (its row), when it is a token: a bureau's registered
    /// signing key and change-set chain belong to it.
    public var tokenId: Int64?
    /// The client certificate the caller signed in with (its SHA-256), when it is one.
    public var certificate: String?

    public init(role: Role, region: String?, name: String, tokenId: Int64? = nil, certificate: String? = nil) {
        self.role = role
        self.region = region
        self.name = name
        self.tokenId = tokenId
        self.certificate = certificate
    }

    /// How provenance and history name this caller: `region:410100`, `reviewer:wang`.
    public var source: String {
        switch role {
        case .bureau: "region:\(region ?? "?")"
        case .reviewer: "reviewer:\(name)"
        case .editor: "editor:\(name)"
        }
    }

    /// The province's staff (reviewers and editors), who edit the province's fields.
    public var isProvince: Bool { role == .reviewer || role == .editor }

    public static func provinceCLI(user: String) -> Principal {
        Principal(role: .reviewer, region: nil, name: user)
    }
}
