/// Who is calling: a region's bureau, or a provincial reviewer (who also edits the province's
/// fields).
public struct Principal: Sendable, Equatable {
    public enum Role: String, Sendable, Codable {
        case bureau
        case reviewer
    }

    public var role: Role
    /// The bureau's region; nil for reviewers.
    public var region: String?
    public var name: String

    public init(role: Role, region: String?, name: String) {
        self.role = role
        self.region = region
        self.name = name
    }

    /// How provenance and history name this caller: `region:410100`, `reviewer:wang`.
    public var source: String {
        switch role {
        case .bureau: "region:\(region ?? "?")"
        case .reviewer: "reviewer:\(name)"
        }
    }

    public static func provinceCLI(user: String) -> Principal {
        Principal(role: .reviewer, region: nil, name: user)
    }
}
