import EnterpriseModel
import Testing

/// What `esync-aggregator records set` refuses: a field no record of this version has.
@Suite struct UnknownFieldTests {
    func check(_ path: String, _ value: JSONValue? = nil) -> String? {
        EnterpriseRecord.unknownField(path.split(separator: ".").map(String.init), value: value)?.description
    }

    @Test func aMistypedFieldIsNamedWithTheNearestOne() {
        #expect(check("employes") == "employes is not a record field; did you mean employees?")
        #expect(check("contact.phon") == "contact.phon is not a record field; did you mean contact.phone?")
        #expect(check("contact", .object(["phon": "1"])) == "contact.phon is not a record field; did you mean contact.phone?")
        #expect(check("srdi", .object(["year": 2025, "bach": 2])) == "srdi.bach is not a record field; did you mean srdi.batch?")
        #expect(check("supportMeasures", .array([.object(["measure": "x", "amountYuan": 1, "dat": "2025-01-01"])]))
                == "supportMeasures[0].dat is not a record field; did you mean supportMeasures[0].date?")
        #expect(check("zzz")?.hasPrefix("zzz is not a record field (known here: aboveDesignatedSize, contact,") == true)
    }

    @Test func knownFieldsPass() {
        for path in ["name", "employees", "contact.phone", "srdi.validUntil", "aboveDesignatedSize.since", "status"] {
            #expect(check(path, "x") == nil, "\(path)")
        }
        #expect(check("srdi", .object(["year": 2025, "batch": 2, "validUntil": "2027-12-31"])) == nil)
        #expect(check("srdi", .null) == nil)
        // Below a member that is not an object of the record, validation judges the value.
        #expect(check("name.first", "x") == nil)
    }

    @Test func theNearestNameIsCloseOrNothing() {
        #expect(NearestName.nearest(to: "gaurd", among: ["guard", "listen", "report"]) == "guard")
        #expect(NearestName.nearest(to: "sessionIdleMinute", among: ["sessionIdleMinutes", "sessionMaxHours"]) == "sessionIdleMinutes")
        #expect(NearestName.nearest(to: "tls", among: ["log", "sync"]) == nil)
        #expect(NearestName.distance("gaurd", "guard") == 1)
        #expect(NearestName.distance("Employes", "employees") == 1)
    }
}
