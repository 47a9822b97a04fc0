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
    /// Another region is named before anything else: a row of another bureau's list, or one
    /// whose region was retyped, would otherwise be blamed on its county.
    public func checked(_ document: JSONValue, origin: String) throws(AgentError) -> (uscc: String, document: JSONValue) {
        guard case .object(var members) = document else { throw .invalidRecord(file: origin, reason: "a record must be a JSON object") }
        guard let raw = members["uscc"]?.stringValue else { throw .invalidRecord(file: origin, reason: "field uscc is missing") }
        let code: USCC
        do { code = try USCC(raw) } catch { throw .invalidRecord(file: origin, reason: "field uscc: \(error)") }
        if let recordRegion = members["region"]?.stringValue, recordRegion != region, Regions.region(code: recordRegion) != nil {
            let known = store.hasBase(code.rawValue)
            throw .invalidRecord(file: origin, reason: Self.otherRegion(recordRegion, bureau: region, uscc: known ? code.rawValue : nil))
        }
        members["uscc"] = .string(code.rawValue)
        let normalised = JSONValue.object(members)
        do { try RecordValidator.validate(normalised) } catch { throw .invalidRecord(file: origin, reason: error.description) }
        if let recordRegion = normalised["region"]?.stringValue, recordRegion != region {
            throw .invalidRecord(file: origin, reason: Self.otherRegion(recordRegion, bureau: region, uscc: nil))
        }
        return (code.rawValue, normalised)
    }

    /// Why a record of `region` has no place in the `bureau`'s store, for a record file, a put
    /// and a CSV row alike. `uscc`: the record is known here (it has a base), so another region
    /// is a transfer, which the bureau asks for by editing its file (see README, Transfers).
    static func otherRegion(_ region: String, bureau: String, uscc: String?) -> String {
        let name = Regions.region(code: region)?.name ?? "?"
        let what = uscc.map { "to move the record there, change region and county in records/\($0).json and sync: the province decides the transfer" }
            ?? "a new record belongs to the bureau that registers it"
        return "field region: \(region) (\(name)) is not this bureau's region \(bureau); \(what)"
    }

    /// Writes a checked document as `records/<USCC>.json`.
    public func put(_ document: JSONValue, origin: String) throws(AgentError) -> String {
        let (uscc, normalised) = try checked(document, origin: origin)
        try store.writeRecord(normalised, uscc: uscc)
        return uscc
    }
}
