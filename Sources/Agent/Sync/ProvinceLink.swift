import SyncCore

/// The province of one engine: the client it was given, or a `ProvinceClient` made from the
/// configuration when first needed (a command that never talks to the province opens no
/// connection).
final class ProvinceLink {
    let config: AgentConfig
    private var made: (any ProvinceAPI)?
    /// What a push pipeline's client heard last, while its answers are the latest (`heard(from:)`).
    private var heardByPipeline: Bool?

    init(config: AgentConfig, client: (any ProvinceAPI)?) {
        self.config = config
        self.made = client
    }

    func client() throws(AgentError) -> any ProvinceAPI {
        if let made { return made }
        let client = try ProvinceClient(config: config)
        made = client
        return client
    }

    /// Whether the province, in the latest answer heard, said it takes new records sent whole:
    /// a push seals its new records whole only then.
    var takesWholeRecords: Bool { heardByPipeline ?? made?.acceptsWholeRecords ?? false }

    /// `client` (the engine's or a push pipeline's) has the latest answer of the province.
    func heard(from client: any ProvinceAPI) {
        heardByPipeline = client === made ? nil : client.acceptsWholeRecords
    }

    /// A push begins: what its pipeline heard in an earlier push is older than the engine's own
    /// client's answers since (a daemon's pulls).
    func pushBegins() {
        heardByPipeline = nil
    }

    /// The province's version of a record this store holds; nil when its answer is refused
    /// (another record, another region: see `ProvinceAnswers`), which is logged and listed in
    /// `refused`, and the record stays as it is.
    func record(_ uscc: String, log: (String) -> Void, refused: inout [RefusedRecord]) throws(AgentError) -> RecordView? {
        do { return try client().record(uscc) } catch .refusedAnswer(let url, let code, let reason) {
            RefusedRecord.note(log: log, [RefusedRecord(uscc: code, reason: "\(reason) (\(url))")], into: &refused)
            return nil
        }
    }
}

extension RefusedRecord {
    /// Logs the records of the province's answers that were not taken in and lists them.
    static func note(log: (String) -> Void, _ refused: [RefusedRecord], into list: inout [RefusedRecord]) {
        for record in refused { log(record.description) }
        list += refused
    }
}
