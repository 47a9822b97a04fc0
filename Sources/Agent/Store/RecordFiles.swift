import EnterpriseModel

/// Putting records into the working copy from outside (a file, a CSV row, the generator):
/// validated, credit code in canonical form, region checked, written atomically.
public struct RecordFiles {
    public let store: Store
    public let region: String

    public init(store: Store, region: String) {
        self.store = store
        self.region = region
    }

    /// Validates a document for this bureau and returns it with its credit code normalised.
    /// `origin` names where it came from in errors ("record.json", "import.csv:12").
    public func checked(_ document: JSONValue, origin: String) throws(AgentError) -> (uscc: String, document: JSONValue) {
        guard case .object(var members) = document else { throw .invalidRecord(file: origin, reason: "a record must be a JSON object") }
        guard let raw = members["uscc"]?.stringValue else { throw .invalidRecord(file: origin, reason: "field uscc is missing") }
        let code: USCC
        do { code = try USCC(raw) } catch { throw .invalidRecord(file: origin, reason: "field uscc: \(error)") }
        members["uscc"] = .string(code.rawValue)
        let normalised = JSONValue.object(members)
        do { try RecordValidator.validate(normalised) } catch { throw .invalidRecord(file: origin, reason: error.description) }
        if let recordRegion = normalised["region"]?.stringValue, recordRegion != region {
            throw .invalidRecord(file: origin, reason: "field region: \(recordRegion) is not this bureau's region \(region)")
        }
        return (code.rawValue, normalised)
    }

    /// Writes a checked document as `records/<USCC>.json`.
    public func put(_ document: JSONValue, origin: String) throws(AgentError) -> String {
        let (uscc, normalised) = try checked(document, origin: origin)
        try store.writeRecord(normalised, uscc: uscc)
        return uscc
    }
}
