import Foundation

/// The agent's small mutable state, `.esync/state.json`: where the pull stands, what the last
/// push and pull did, and what waits at the province.
public struct AgentState: Codable, Sendable, Equatable {
    public struct Outcome: Codable, Sendable, Equatable {
        public var at: String
        public var ok: Bool
        public var summary: String
    }

    /// A record the province refused, remembered with the content it refused so the same
    /// content is not sent again and again; an edit of the file sends it again.
    public struct Rejection: Codable, Sendable, Equatable {
        public var hash: String
        public var reason: String
    }

    public var format = 1
    public var region: String
    /// The province's change sequence up to which this store has merged its region's records.
    public var cursor: Int64 = 0
    /// Numbers the outbox files so that they are sent in the order they were sealed.
    public var outboxSequence: Int64 = 0
    public var lastPush: Outcome?
    public var lastPull: Outcome?
    /// A field the province parked for review, and the value the bureau sent for it: the same
    /// value is not sent again; a new edit of the field is.
    public struct Parked: Codable, Sendable, Equatable {
        public var conflictId: Int64
        public var valueHash: String
    }

    /// Fields waiting for review at the province: USCC → field → parked value.
    public var parked: [String: [String: Parked]] = [:]
    /// Delete requests waiting for the province: USCC → conflict id.
    public var pendingDeletes: [String: Int64] = [:]
    public var rejected: [String: Rejection] = [:]
    /// Change sets the province holds for approval (mass-change guard): id → their records,
    /// which are not sealed again meanwhile.
    public var heldChangeSets: [String: [String]] = [:]
    /// Records whose province version waits to be merged until their invalid file is fixed.
    public var deferred: Set<String> = []

    public init(region: String) { self.region = region }

    public static func load(from path: String) throws(AgentError) -> AgentState {
        let bytes = try FileSystem.read(path)
        do {
            return try JSONDecoder().decode(AgentState.self, from: Data(bytes))
        } catch {
            throw .corruptState(path: path, reason: "cannot read the agent state: \(error)")
        }
    }

    public func save(to path: String) throws(AgentError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            let data = try encoder.encode(self)
            try FileSystem.writeAtomically(path, Array(data) + [0x0A])
        } catch let error as AgentError {
            throw error
        } catch {
            throw .corruptState(path: path, reason: "cannot encode the agent state: \(error)")
        }
    }
}
