@testable import Agent
import EnterpriseModel
import Foundation
import SyncCore

/// A bureau's store in a temporary folder, synced in process: each command makes a new
/// `SyncEngine` from what is on disk, as `esync-agent push|pull|sync` would, with a
/// `ProvinceClient` over the province's router (`InProcessTransport`).
struct InProcessBureau: Sendable {
    let region: String
    let token: String
    let config: AgentConfig

    var storePath: String { config.storePath }

    init(region: String, token: String, folder: String) throws {
        self.region = region
        self.token = token
        var config = AgentConfig(configPath: folder + "/agent.yaml", region: region, storePath: folder + "/store")
        config.serverURL = InProcessTransport.baseURL
        self.config = config
        let store = try Store.initialize(config.storePath, region: region)
        _ = try store.signingKey()
    }

    /// `count` sample records of the region, as `esync-agent record generate` writes them.
    func generate(_ count: Int, seed: UInt64) throws -> [String] {
        try RecordTransfer(store: try Store.open(storePath), region: region).generate(count: count, seed: seed).sorted()
    }

    /// How a command ended: as `esync-agent push|pull|sync` would end with 0, 3 or another code.
    enum Outcome: Equatable, CustomStringConvertible {
        case clean
        /// Done, but some records were skipped (exit code 3).
        case skipped
        case failed(AgentError.Category)

        /// Done, whether or not some records were skipped.
        var isDone: Bool { self == .clean || self == .skipped }

        var description: String {
            switch self {
            case .clean: "clean"
            case .skipped: "skipped some"
            case .failed(let category): "failed (\(category))"
            }
        }
    }

    /// `esync-agent push|pull|sync`: how it ended. `stopAfter`: a stop is asked for at the
    /// engine's n-th safe point (a SIGTERM in the middle of the sync).
    func run(_ command: String, on router: RouterClient, stopAfter: Int? = nil) -> Outcome {
        let checks = Counter()
        do throws(AgentError) {
            let client = ProvinceClient(baseURL: InProcessTransport.baseURL, region: region, token: token, transport: InProcessTransport(router))
            let engine = try SyncEngine(config: config, store: try Store.open(storePath), client: client)
            if let stopAfter { engine.shouldStop = { checks.next() >= stopAfter } }
            switch command {
            case "push": return try engine.push().isClean ? .clean : .skipped
            case "pull": return try engine.pull().isClean ? .clean : .skipped
            default:
                let push = try engine.push(), pull = try engine.pull()
                return push.isClean && pull.isClean ? .clean : .skipped
            }
        } catch {
            return .failed(error.category)
        }
    }

    /// What `esync-agent diff` would push now.
    func pendingChanges() throws -> [RecordChange] {
        try SyncEngine(config: config, store: try Store.open(storePath)).diff().changes
    }

    func readRecord(_ uscc: String) throws -> JSONValue {
        try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: storePath + "/records/\(uscc).json"))))
    }

    /// Changes a field of a record file the way a bureau's tool would.
    func edit(_ uscc: String, _ field: String, _ value: JSONValue) throws {
        var document = try readRecord(uscc)
        FieldPath.set(&document, path: field, to: value)
        try Data(document.prettyBytes()).write(to: URL(fileURLWithPath: storePath + "/records/\(uscc).json"))
    }

    func recordFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: storePath + "/records").filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }
    }
}

final class Counter: @unchecked Sendable {
    private var n = 0
    private let lock = NSLock()
    func next() -> Int { lock.withLock { n += 1; return n } }
}
