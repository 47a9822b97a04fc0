/// One enterprise as a bureau keeps it: the typed view of a record document (docs/domain.md §1).
///
/// The document stays the source of truth: `init(json:)` then `json` gives back an equal
/// document for every valid one, including members this version does not know (`extra`, and the
/// `extra` of each nested object). Two rules make that exact:
/// - a member that is absent stays absent, and a known member written as `null` comes back as
///   `null` (it is kept in `extra`; the typed property is nil, and setting the property writes
///   over it);
/// - a document without `status` or `supportMeasures` gets none back unless the property is
///   changed (`status` reads as `.active`, `supportMeasures` as empty).
///
/// For example:
///
/// ```swift
/// var record = try EnterpriseRecord(json: document)
/// record.employees = 120
/// let edited = record.json        // unknown members of `document` are still there
/// ```
public struct EnterpriseRecord: Sendable, Equatable {
    /// The key. Never edited: a wrong code is fixed by a merge or a tombstone.
    public var uscc: USCC
    /// The registered name; the bureau writes it, designations keep their own snapshot.
    public var name: String
    /// The 6-digit code of the owning region (see `Regions`); never derived from `uscc`.
    public var region: String
    /// The 6-digit county-level code of the address; its first four digits are the region's.
    public var county: String?
    /// GB/T 4754-2017 class code, e.g. "C3484".
    public var industry: String?
    /// The size class as reported; checked against `employees` and `revenueYuan` with a warning
    /// (see `RecordValidator.sizeClass(employees:revenueYuan:)`).
    public var sizeClass: SizeClass?
    /// Year-end headcount.
    public var employees: Int64?
    /// Main business revenue in whole yuan (never a float; sources in 万元 are multiplied by 10,000).
    public var revenueYuan: Int64?
    /// Taxes paid, in whole yuan.
    public var taxYuan: Int64?
    /// Research and development expense, in whole yuan.
    public var rdExpenseYuan: Int64?
    /// Set by the province from the statistics list; nil while the enterprise is not listed.
    public var aboveDesignatedSize: AboveDesignatedSize?
    /// Provincial SRDI (专精特新) designation.
    public var srdi: Designation?
    /// National SRDI "little giant" (小巨人) designation, granted by MIIT.
    public var littleGiant: Designation?
    /// Payments and relief received under provincial policies.
    public var supportMeasures: [SupportMeasure]
    /// Who the bureau calls.
    public var contact: Contact?
    /// `.active` when the document has none.
    public var status: Status
    /// ISO 8601 time of the last edit, as the editing tool wrote it.
    public var updatedAt: String?
    /// Top-level members this version does not know, and known optional members written as null.
    public var extra: JSONObject

    /// Whether the source document had a `status` member; if not and `status` is still `.active`,
    /// `json` leaves it out.
    var statusWasWritten = true
    /// Whether the source document had a `supportMeasures` member; if not and the list is still
    /// empty, `json` leaves it out.
    var supportMeasuresWereWritten = true

    /// A record built in code. `status` and `supportMeasures` are always written by `json`.
    public init(
        uscc: USCC, name: String, region: String, county: String? = nil, industry: String? = nil,
        sizeClass: SizeClass? = nil, employees: Int64? = nil, revenueYuan: Int64? = nil, taxYuan: Int64? = nil,
        rdExpenseYuan: Int64? = nil, aboveDesignatedSize: AboveDesignatedSize? = nil, srdi: Designation? = nil,
        littleGiant: Designation? = nil, supportMeasures: [SupportMeasure] = [], contact: Contact? = nil,
        status: Status = .active, updatedAt: String? = nil, extra: JSONObject = [:]
    ) {
        self.uscc = uscc
        self.name = name
        self.region = region
        self.county = county
        self.industry = industry
        self.sizeClass = sizeClass
        self.employees = employees
        self.revenueYuan = revenueYuan
        self.taxYuan = taxYuan
        self.rdExpenseYuan = rdExpenseYuan
        self.aboveDesignatedSize = aboveDesignatedSize
        self.srdi = srdi
        self.littleGiant = littleGiant
        self.supportMeasures = supportMeasures
        self.contact = contact
        self.status = status
        self.updatedAt = updatedAt
        self.extra = extra
    }

    /// Reads and validates a record document. Throws every error-severity issue that
    /// `RecordValidator.issues(in:)` finds; warnings do not stop it.
    public init(json document: JSONValue) throws(RecordError) {
        var reader = RecordReader()
        let record = reader.readRecord(document)
        guard let record, reader.errorCount == 0 else {
            throw RecordError(uscc: document["uscc"]?.stringValue, issues: reader.issues.filter { $0.severity == .error })
        }
        self = record
    }

    /// The JSON names of the members this version knows.
    public static let knownFields: Set<String> = [
        "uscc", "name", "region", "county", "industry", "sizeClass", "employees", "revenueYuan", "taxYuan",
        "rdExpenseYuan", "aboveDesignatedSize", "srdi", "littleGiant", "supportMeasures", "contact", "status",
        "updatedAt",
    ]
}
