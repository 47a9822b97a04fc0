/// Enterprise size under 工信部联企业〔2011〕300号 (docs/domain.md §4); stored as its raw value.
public enum SizeClass: String, Sendable, Hashable, CaseIterable, Comparable {
    case micro
    case small
    case medium
    case large

    private var rank: Int {
        switch self {
        case .micro: 0
        case .small: 1
        case .medium: 2
        case .large: 3
        }
    }

    public static func < (lhs: SizeClass, rhs: SizeClass) -> Bool { lhs.rank < rhs.rank }
}
