import Configuration
import Foundation
import SystemPackage

/// The values of one configuration while its loader reads them: from the environment
/// (`ESYNC_` + the key, which wins) or else the YAML file, through swift-configuration; with
/// where each came from, so that a bad value is blamed on what gave it.
///
/// Not shared between threads: a loader makes one, reads it and drops it.
public final class ConfigValues {
    public let file: ConfigFile
    public let keys: ConfigKeys
    let reader: ConfigReader
    let environment: [String: String]
    /// The keys read so far (a free map's key counts for the map's `.*`).
    public private(set) var read: Set<String> = []

    init(file: ConfigFile, keys: ConfigKeys, reader: ConfigReader, environment: [String: String]) {
        self.file = file
        self.keys = keys
        self.reader = reader
        self.environment = environment
    }

    /// Reads and checks the file at the absolute `path` (see `ConfigFile`), with `environment`
    /// (default: the process's) over it.
    public static func load(path: String, keys: ConfigKeys, environment: [String: String]? = nil) async throws(ConfigFileError) -> ConfigValues {
        let environment = environment ?? ProcessInfo.processInfo.environment
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigFileError(["\(path): cannot read: \(error.localizedDescription)"])
        }
        let file = try ConfigFile(path: path, text: text, keys: keys)
        do {
            let yaml = try await FileProvider<YAMLSnapshot>(filePath: FilePath(path))
            let variables = EnvironmentVariablesProvider(environmentVariables: environment.filter { $0.key.hasPrefix(prefix) })
            let reader = ConfigReader(providers: [variables.prefixKeys(with: "esync"), yaml])
            return ConfigValues(file: file, keys: keys, reader: reader, environment: environment)
        } catch {
            throw ConfigFileError(["\(path): \(error)"])
        }
    }

    /// The value of `key` as text (a number or a boolean as written), nil when neither the
    /// environment nor the file gives one.
    public func string(_ key: String) -> String? {
        note(key)
        return reader.string(forKey: ConfigKey(key))
    }

    public func stringArray(_ key: String) -> [String]? {
        note(key)
        return reader.stringArray(forKey: ConfigKey(key))
    }

    /// A path: absolute as given, or relative to the config file's folder.
    public func path(_ key: String) -> String? {
        string(key).map { $0.hasPrefix("/") ? $0 : folder + "/" + $0 }
    }

    /// The folder of the config file, which relative paths in it are relative to.
    public var folder: String { (file.path as NSString).deletingLastPathComponent }

    /// Where the value of `key` comes from: `environment variable ESYNC_LISTEN_PORT`, the
    /// file's line (`/etc/esync/aggregator.yaml:7`), or the file (a key it lacks).
    public func origin(_ key: String) -> String {
        let variable = Self.variable(for: key)
        if environment[variable] != nil { return "environment variable \(variable)" }
        if let line = file.lines[key] { return "\(file.path):\(line)" }
        return file.path
    }

    /// "ORIGIN: KEY must be RULE, found "VALUE"", for a value that breaks its rule.
    public func invalid(_ key: String, _ rule: String) -> String {
        "\(origin(key)): \(key) must be \(rule), found \"\(string(key) ?? "")\""
    }

    /// Declared keys no read asked for: a key the file may hold that changes nothing. Each
    /// loader's tests keep this empty.
    public var unread: [String] {
        keys.paths.filter { !read.contains($0) }
    }

    func note(_ key: String) {
        assert(keys.declares(key), "\(key) is read but not declared in the config's keys")
        if keys.kind(of: key) == .freeKey, let dot = key.lastIndex(of: ".") {
            read.insert(String(key[..<dot]) + ".*")
        } else {
            read.insert(key)
        }
    }

    static let prefix = "ESYNC_"

    /// The environment variable that overrides `key`, as swift-configuration's
    /// `EnvironmentVariablesProvider` names it under the prefix `esync`: each word break of
    /// camelCase and each dot an underscore, upper case (`server.tokenFile` →
    /// `ESYNC_SERVER_TOKEN_FILE`).
    public static func variable(for key: String) -> String {
        let words = key.split(separator: ".").map { component -> String in
            var out = ""
            var previous: Character?
            for character in component {
                if let previous, previous.isLowercase, character.isUppercase { out.append("_") }
                out.append(character.isLetter || character.isNumber ? String(character).uppercased() : "_")
                previous = character
            }
            return out
        }
        return prefix + words.joined(separator: "_")
    }
}
