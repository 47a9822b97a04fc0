import Yams

/// What is wrong with a configuration, one problem a line, each naming where: the file and
/// line (`/etc/esync/agent.yaml:5: unknown key sync.intervalSecond; did you mean
/// sync.intervalSeconds?`) or the environment variable that gave the value.
public struct ConfigFileError: Error, CustomStringConvertible, Sendable {
    public var problems: [String]
    public init(_ problems: [String]) { self.problems = problems }
    public var description: String { problems.joined(separator: "\n") }
}

/// A configuration file's keys, read with Yams for their line numbers and checked against the
/// keys its loader reads (`ConfigKeys`): an unknown key, a key given twice, a section given a
/// value or a value given a section is an error naming the line. swift-configuration, which
/// reads the values, would ignore all of these: a typo (`gaurd:`) would leave a setting at its
/// default without a word.
public struct ConfigFile: Sendable {
    /// A key below a map with free keys (`report.regionShares.410100`), where the file has it.
    public struct FreeKey: Sendable, Equatable {
        public var name: String
        public var line: Int
    }

    public let path: String
    /// The line of each key in the file, by its dotted path.
    public let lines: [String: Int]
    /// The keys the file gives each map with free keys, in the file's order.
    public let freeKeys: [String: [FreeKey]]

    public init(path: String, text: String, keys: ConfigKeys) throws(ConfigFileError) {
        self.path = path
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch { throw ConfigFileError(["\(path): not YAML: \(error)"]) }
        var walk = Walk(file: path, keys: keys)
        if let root {
            if root.mapping != nil { walk.mapping(root, below: "") } else if !Self.isEmpty(root) {
                walk.problems.append("\(path):\(root.mark?.line ?? 1): expected keys and values (key: value), found a \(root.sequence != nil ? "list" : "single value")")
            }
        }
        guard walk.problems.isEmpty else { throw ConfigFileError(walk.problems) }
        lines = walk.lines
        freeKeys = walk.freeKeys
    }

    /// An example file (Config/*.yaml) with its commented-out keys put back (`# key: value`,
    /// `  # key:`; a comment that starts with a capital or holds no `name:` stays), so that a
    /// test can check that every key the example documents is known.
    public static func uncommentingKeys(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard let match = line.wholeMatch(of: /(\s*)# ?(\s*"?[a-z0-9][A-Za-z0-9.]*"?:(?: .*)?)/) else { return String(line) }
            return String(match.output.1) + String(match.output.2)
        }.joined(separator: "\n")
    }

    /// `key:` with nothing after it (a section whose keys are all commented out).
    static func isEmpty(_ node: Node) -> Bool {
        guard let scalar = node.scalar else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// The walk over the file's mappings, collecting lines and problems.
    struct Walk {
        let file: String
        let keys: ConfigKeys
        var lines: [String: Int] = [:]
        var freeKeys: [String: [FreeKey]] = [:]
        var problems: [String] = []

        mutating func mapping(_ node: Node, below section: String) {
            guard let members = node.mapping else { return }
            for (keyNode, value) in members {
                let line = keyNode.mark?.line ?? 1
                guard let name = keyNode.scalar?.string, !name.isEmpty else {
                    problems.append("\(file):\(line): a key must be a name (text before the colon)")
                    continue
                }
                let path = section.isEmpty ? name : section + "." + name
                if let earlier = lines[path] {
                    problems.append("\(file):\(line): \(path) is given twice (first on line \(earlier)); only one would count")
                    continue
                }
                lines[path] = line
                switch keys.kind(of: path) {
                case .value:
                    if value.mapping != nil { problems.append("\(file):\(line): \(path) takes a value, not keys below it") }
                case .section:
                    if value.mapping != nil {
                        mapping(value, below: path)
                    } else if !ConfigFile.isEmpty(value) {
                        problems.append("\(file):\(line): \(path) is a section; its keys are \(keys.names(below: path).joined(separator: ", "))")
                    }
                case .freeMap:
                    if let members = value.mapping {
                        for (member, _) in members {
                            let memberLine = member.mark?.line ?? line
                            guard let memberName = member.scalar?.string else { continue }
                            lines[path + "." + memberName] = memberLine
                            freeKeys[path, default: []].append(FreeKey(name: memberName, line: memberLine))
                        }
                    } else if !ConfigFile.isEmpty(value) {
                        problems.append("\(file):\(line): \(path) takes keys below it, one a line")
                    }
                case .freeKey:
                    let map = String(path[..<(path.lastIndex(of: ".") ?? path.endIndex)])
                    freeKeys[map, default: []].append(FreeKey(name: String(path.dropFirst(map.count + 1)), line: line))
                case .unknown:
                    if let nearest = keys.nearest(to: path) {
                        problems.append("\(file):\(line): unknown key \(path); did you mean \(nearest)?")
                    } else {
                        let parent = path.split(separator: ".").dropLast().joined(separator: ".")
                        let known = keys.names(below: keys.kind(of: parent) == .section ? parent : "")
                        problems.append("\(file):\(line): unknown key \(path) (the keys \(parent.isEmpty || keys.kind(of: parent) != .section ? "at the top" : "of " + parent) are \(known.joined(separator: ", ")))")
                    }
                }
            }
        }
    }
}
