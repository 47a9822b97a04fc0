import EnterpriseModel

/// The keys a configuration file may hold: every key its loader reads, declared next to the
/// code that reads it (`ConfigValues` asserts that each key read is declared, and each loader's
/// tests that each declared key is read), so a key the loader does not read is an error in the
/// file, never a setting silently ignored.
///
/// A key is a dotted path, `server.url`. `report.regionShares.*` declares a map whose keys are
/// free (a region's code): any key below it is accepted, and its loader checks the names.
public struct ConfigKeys: Sendable {
    /// The declared keys, in the order given.
    public let paths: [String]
    let leaves: Set<String>
    /// The maps with free keys, without their `.*`.
    let freeMaps: Set<String>
    /// Every section (a proper prefix of a key) mapped to the names directly below it.
    let children: [String: [String]]

    public init(_ paths: [String]) {
        self.paths = paths
        var leaves: Set<String> = [], freeMaps: Set<String> = []
        var children: [String: [String]] = [:]
        for path in paths {
            let free = path.hasSuffix(".*")
            let key = free ? String(path.dropLast(2)) : path
            if free { freeMaps.insert(key) } else { leaves.insert(key) }
            let parts = key.split(separator: ".").map(String.init)
            for depth in parts.indices {
                let parent = parts[..<depth].joined(separator: ".")
                if children[parent, default: []].contains(parts[depth]) == false { children[parent, default: []].append(parts[depth]) }
            }
        }
        self.leaves = leaves
        self.freeMaps = freeMaps
        self.children = children
    }

    public static func + (a: ConfigKeys, b: ConfigKeys) -> ConfigKeys { ConfigKeys(a.paths + b.paths) }

    /// What a key of the file is to the loader.
    enum Kind: Equatable {
        /// A value the loader reads.
        case value
        /// A section: a mapping of keys below it.
        case section
        /// A map with free keys (`report.regionShares`).
        case freeMap
        /// A key of a free map (`report.regionShares.410100`).
        case freeKey
        case unknown
    }

    func kind(of path: String) -> Kind {
        if leaves.contains(path) { return .value }
        if freeMaps.contains(path) { return .freeMap }
        if children[path] != nil { return .section }
        if let dot = path.lastIndex(of: "."), freeMaps.contains(String(path[..<dot])) { return .freeKey }
        return .unknown
    }

    /// Whether `key`, which a loader reads, is declared (itself, or under a free map).
    public func declares(_ key: String) -> Bool {
        let kind = kind(of: key)
        return kind == .value || kind == .freeKey
    }

    /// The declared key an operator most likely meant by `path`: a near name in the same
    /// section (`gaurd` → `guard`, `review.sessionIdleMinute` → `review.sessionIdleMinutes`),
    /// else a key of another section with a near last name (`intervalSeconds` at the top →
    /// `sync.intervalSeconds`).
    func nearest(to path: String) -> String? {
        let parts = path.split(separator: ".").map(String.init)
        guard let name = parts.last else { return nil }
        let parent = parts.dropLast().joined(separator: ".")
        if let sibling = NearestName.nearest(to: name, among: children[parent] ?? []) {
            return parent.isEmpty ? sibling : parent + "." + sibling
        }
        let byLastName = Dictionary(paths.map { ($0.split(separator: ".").last.map(String.init) ?? $0, $0) }, uniquingKeysWith: { first, _ in first })
        return NearestName.nearest(to: name, among: byLastName.keys.sorted()).flatMap { byLastName[$0] }
    }

    /// The names directly below `section` ("" for the top), for a message without a near one.
    func names(below section: String) -> [String] { children[section] ?? [] }
}
