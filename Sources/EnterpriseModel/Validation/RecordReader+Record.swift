/// Bounds on what one record may hold, known fields and unknown ones alike: a register of
/// enterprises has no use for a megabyte of text in a field, and a store, a change set or the
/// database must not be swollen by one.
public enum RecordLimits {
    /// Any text value, in UTF-8 bytes.
    public static let maximumTextBytes = 4096
    /// An enterprise name, in characters.
    public static let maximumNameCharacters = 200
    /// A member name, in UTF-8 bytes.
    public static let maximumKeyBytes = 128
    /// Items in any list (support measures…) and members in any object.
    public static let maximumItems = 1000
    /// Objects inside objects: a member this many levels down may not be an object with members.
    /// Every field path (`contact.phone` is two levels) has at most this many parts; the merge
    /// walks a path part by part, and no field in use is deeper than two.
    public static let maximumDepth = 8
}

extension RecordReader {
    /// Every text, list and object of the document within `RecordLimits`, named by its path.
    /// (A member's path is only spelt out for a member to walk into or to name in an error:
    /// building one for every leaf of every record was a fifth of validating it.)
    mutating func checkSizes(_ value: JSONValue, at path: () -> String, depth: Int = 0) {
        switch value {
        case .string(let s): checkText(s, at: path)
        case .array(let items):
            if items.count > RecordLimits.maximumItems {
                error(path(), "a list of \(items.count) items is longer than the limit of \(RecordLimits.maximumItems)")
                return
            }
            for (n, item) in items.enumerated() {
                switch item {
                case .string(let s): checkText(s, at: { "\(path())[\(n)]" })
                case .array, .object: checkSizes(item, at: { "\(path())[\(n)]" }, depth: depth)
                default: break
                }
            }
        case .object(let members):
            if !members.isEmpty, depth >= RecordLimits.maximumDepth {
                error(path(), "objects nested more than \(RecordLimits.maximumDepth) levels deep")
                return
            }
            if members.count > RecordLimits.maximumItems {
                error(path().isEmpty ? "document" : path(), "\(members.count) members are more than the limit of \(RecordLimits.maximumItems)")
                return
            }
            members.forEachMember { key, member in
                if key.utf8.count > RecordLimits.maximumKeyBytes {
                    error(Self.path(path(), String(key.prefix(40)) + "…"), "a member name of \(key.utf8.count) bytes is longer than the limit of \(RecordLimits.maximumKeyBytes)")
                    return
                }
                switch member {
                case .string(let s): checkText(s, at: { Self.path(path(), key) })
                case .array, .object: checkSizes(member, at: { Self.path(path(), key) }, depth: depth + 1)
                default: break
                }
            }
        default:
            break
        }
    }

    /// A text within `maximumTextBytes`, and the enterprise's name within its characters.
    private mutating func checkText(_ s: String, at path: () -> String) {
        if s.utf8.count > RecordLimits.maximumTextBytes {
            error(path(), "text of \(s.utf8.count) bytes is longer than the limit of \(RecordLimits.maximumTextBytes) bytes")
        } else if s.utf8.count > RecordLimits.maximumNameCharacters, path() == "name", s.count > RecordLimits.maximumNameCharacters {
            // (A text of no more bytes than the limit has no more characters either.)
            error("name", "a name of \(s.count) characters is longer than the limit of \(RecordLimits.maximumNameCharacters)")
        }
    }

    /// Reads a whole record document, recording every issue; returns the record when no error
    /// was found. The order of the checks is the order of the fields in docs/domain.md §1, so messages
    /// come out in the order an operator reads the file.
    mutating func readRecord(_ document: JSONValue) -> EnterpriseRecord? {
        guard case .object(let members) = document else {
            error("document", "must be a JSON object, found \(Self.describe(document))")
            return nil
        }
        let before = errorCount
        checkSizes(document, at: { "" })

        let uscc = readCreditCode(members["uscc"])
        let name = required(members["name"], at: "name").flatMap { nonEmptyString($0, at: "name") }
        if let name, Self.mayBeSpace(name.unicodeScalars.first) && name.first?.isWhitespace == true
            || Self.mayBeSpace(name.unicodeScalars.last) && name.last?.isWhitespace == true {
            warning("name", "has white space at the start or end")
        }
        let region = readRegion(members["region"])
        let county = readCounty(members["county"], region: region)
        let industry = readIndustry(members["industry"])
        let sizeClass = enumeration(SizeClass.self, members["sizeClass"], at: "sizeClass")
        let employees = integer(members["employees"], at: "employees")
        let revenue = integer(members["revenueYuan"], at: "revenueYuan")
        let tax = integer(members["taxYuan"], at: "taxYuan")
        let rdExpense = integer(members["rdExpenseYuan"], at: "rdExpenseYuan")
        let aboveDesignatedSize = object(members["aboveDesignatedSize"], at: "aboveDesignatedSize")
            .flatMap { AboveDesignatedSize(reading: $0, at: "aboveDesignatedSize", into: &self) }
        let srdi = object(members["srdi"], at: "srdi").flatMap { Designation(reading: $0, at: "srdi", into: &self) }
        let littleGiant = object(members["littleGiant"], at: "littleGiant")
            .flatMap { Designation(reading: $0, at: "littleGiant", into: &self) }
        let measures = readSupportMeasures(members["supportMeasures"])
        let contact = object(members["contact"], at: "contact").flatMap { Contact(reading: $0, at: "contact", into: &self) }
        let status = enumeration(EnterpriseRecord.Status.self, members["status"], at: "status")
        let updatedAt = string(members["updatedAt"], at: "updatedAt")
        if let updatedAt, !DateText.isTimestamp(updatedAt) {
            error("updatedAt", "\"\(updatedAt)\" is not an ISO 8601 time like 2024-05-17T09:30:00+08:00")
        }

        checkSizeClass(sizeClass, employees: employees, revenue: revenue, industry: industry)
        checkAboveDesignatedSize(members["aboveDesignatedSize"], revenue: revenue, industry: industry)

        guard errorCount == before, let uscc, let name, let region else { return nil }
        var record = EnterpriseRecord(
            uscc: uscc, name: name, region: region.code, county: county, industry: industry, sizeClass: sizeClass,
            employees: employees, revenueYuan: revenue, taxYuan: tax, rdExpenseYuan: rdExpense,
            aboveDesignatedSize: aboveDesignatedSize, srdi: srdi, littleGiant: littleGiant,
            supportMeasures: measures ?? [], contact: contact, status: status ?? .active,
            updatedAt: updatedAt, extra: leftovers(members, known: EnterpriseRecord.knownFields))
        record.statusWasWritten = status != nil
        record.supportMeasuresWereWritten = measures != nil
        return record
    }

    private mutating func readCreditCode(_ value: JSONValue?) -> USCC? {
        guard let value = required(value, at: "uscc"), let text = string(value, at: "uscc") else { return nil }
        let code: USCC
        do {
            code = try USCC(text)
        } catch {
            self.error("uscc", error.description)
            return nil
        }
        // Documents are keyed and compared by the canonical form; accepting "9141-0100…" here
        // would give two keys for one enterprise.
        guard code.rawValue == text else {
            self.error("uscc", "\"\(text)\" is not in canonical form; write it as \(code.rawValue)")
            return nil
        }
        for note in code.warnings { warning("uscc", note) }
        return code
    }

    private mutating func readRegion(_ value: JSONValue?) -> Region? {
        guard let value = required(value, at: "region"), let code = string(value, at: "region") else { return nil }
        guard let region = Regions.region(code: code) else {
            var reason = "\(code) is not one of the 18 regions (410100 郑州市 … 411700 驻马店市, 419001 济源市)"
            if code.utf8.count == 6, let owner = Regions.regionOwning(countyCode: code) {
                reason += "; it is in \(owner.code) (\(owner.name))"
            }
            error("region", reason)
            return nil
        }
        return region
    }

    private mutating func readCounty(_ value: JSONValue?, region: Region?) -> String? {
        guard let code = string(value, at: "county") else { return nil }
        guard code.utf8.count == 6, code.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            error("county", "\"\(code)\" is not a 6-digit division code")
            return nil
        }
        // Ownership is by prefix, so retired codes still land in the right city.
        guard let region else { return code }
        guard Regions.regionOwning(countyCode: code)?.code == region.code else {
            error("county", "\(code) does not belong to region \(region.code) (\(region.name))")
            return nil
        }
        if region.county(code: code) == nil {
            if let retired = Regions.retiredCounty(code: code) {
                let now = retired.successor.map { s in "; it is now \(s) (\(region.county(code: s)?.name ?? "?")), remap it" } ?? "; remap it"
                warning("county", "\(code) (\(retired.name)) is a retired code\(now)")
            } else if code == region.code {
                warning("county", "\(code) is the city itself, not a county-level division of \(region.name)")
            } else {
                warning("county", "\(code) is not a current county-level division of \(region.name)")
            }
        }
        return code
    }

    private mutating func readIndustry(_ value: JSONValue?) -> String? {
        guard let code = string(value, at: "industry") else { return nil }
        if let problem = IndustryClassification.problem(with: code) {
            error("industry", problem)
            return nil
        }
        return code
    }

    private mutating func readSupportMeasures(_ value: JSONValue?) -> [SupportMeasure]? {
        guard let elements = array(value, at: "supportMeasures") else { return nil }
        var measures: [SupportMeasure] = []
        for (index, element) in elements.enumerated() {
            func path() -> String { "supportMeasures[\(index)]" }
            guard let members = object(element, at: path()) else {
                if element == .null { error(path(), "expected an object, found null") }
                continue
            }
            if let measure = SupportMeasure(reading: members, at: path(), into: &self) { measures.append(measure) }
        }
        return measures
    }

    /// The 2011 industrial size rule applies to sections B, C and D; a record without an industry
    /// is checked too, because most records are industrial and a gross mismatch is worth a look.
    private mutating func checkSizeClass(_ sizeClass: SizeClass?, employees: Int64?, revenue: Int64?, industry: String?) {
        guard let sizeClass, let employees, let revenue else { return }
        if let industry, !IndustryClassification.isIndustrial(industry) { return }
        let computed = RecordValidator.sizeClass(employees: employees, revenueYuan: revenue)
        guard computed != sizeClass else { return }
        warning(
            "sizeClass",
            "\(sizeClass.rawValue) does not match \(employees) employees and revenue \(revenue) yuan, which make it \(computed.rawValue) under the 2011 industrial standard")
    }

    /// The statistics bureau decides 规上 status; a bureau can only be told to check its list.
    private mutating func checkAboveDesignatedSize(_ value: JSONValue?, revenue: Int64?, industry: String?) {
        guard let revenue, let industry, IndustryClassification.isIndustrial(industry),
              revenue >= RecordValidator.aboveDesignatedSizeRevenueYuan, value == nil || value == .null
        else { return }
        warning(
            "aboveDesignatedSize",
            "revenue \(revenue) yuan reaches 20,000,000 for an industrial enterprise, but the record has no aboveDesignatedSize; check the statistics list")
    }
}
