@testable import EnterpriseModel
import Testing

@Suite("Unified social credit code")
struct USCCTests {
    /// docs/domain.md §2: code, organisation body, and the weighted sum behind the check character.
    static let workedExamples: [(code: String, division: String, body: String, sum: Int)] = [
        ("914112810713741814", "411281", "07137418", 988),
        ("9141000017292850XF", "410000", "17292850", 1535),
        ("91419001MA40X2YF91", "419001", "MA40X2YF", 2355),
        ("91620105L015101280", "620105", "L0151012", 1023),
    ]

    @Test("the four worked examples of docs/domain.md §2 are valid and are rebuilt from their parts")
    func workedExamples() throws {
        for example in Self.workedExamples {
            let code = try USCC(example.code)
            #expect(code.rawValue == example.code)
            #expect(USCC.make(division: example.division, organizationBody: example.body) == code)
            let sum = zip(Array(example.code.utf8).prefix(17), USCCAlgorithm.weights)
                .reduce(0) { $0 + (USCCAlgorithm.value31($1.0) ?? -1) * $1.1 }
            #expect(sum == example.sum, "\(example.code)")
        }
    }

    @Test("the weights are 3^(i-1) mod 31")
    func weightsArePowersOfThree() {
        var w = 1
        for weight in USCCAlgorithm.weights {
            #expect(weight == w)
            w = w * 3 % 31
        }
    }

    @Test("organisation-code check of docs/domain.md §2 uses the 36-character values", arguments: [
        ("07137418", "071374181"), ("MA40X2YF", "MA40X2YF9"), ("17292850", "17292850X"),
    ])
    func organizationCodeExamples(body: String, organizationCode: String) {
        #expect(USCC.make(division: "410100", organizationBody: body).organizationCode == organizationCode)
    }

    @Test("real codes quoted in docs/domain.md pass, including the legacy tax ID links")
    func realCodes() throws {
        for text in ["91410100556930377C", "91411700MAEFDQ7P7T", "914101057355318653", "91410000169955857C"] {
            #expect(try USCC(text).warnings.isEmpty)
        }
        #expect(try USCC("914101057355318653").legacyTaxpayerID == "410105735531865")
        #expect(try USCC("91410000169955857C").legacyTaxpayerID == "410000169955857")
        #expect(try USCC("91410000169955857C").registrationDivision == "410000")
    }

    @Test("fabricated fixture codes of docs/domain.md §2 are rejected with the expected check character")
    func fabricatedCodesAreRejected() {
        #expect(throws: USCCError.checkCharacterMismatch(code: "91410100MA3X9K0P7Y", expected: "L", found: "Y")) {
            try USCC("91410100MA3X9K0P7Y")
        }
        #expect(throws: USCCError.checkCharacterMismatch(code: "91410000MA9ABCDEF0", expected: "R", found: "0")) {
            try USCC("91410000MA9ABCDEF0")
        }
        #expect(throws: USCCError.checkCharacterMismatch(code: "91350203M0001QAY9B", expected: "9", found: "B")) {
            try USCC("91350203M0001QAY9B")
        }
    }

    @Test("messages name the code and the reason")
    func descriptions() {
        #expect(
            USCCError.checkCharacterMismatch(code: "91410100MA3X9K0P7Y", expected: "L", found: "Y").description
                == "credit code 91410100MA3X9K0P7Y: check character is Y, expected L")
        #expect(USCCError.individualBusiness(code: "92").description.contains("individual business"))
    }

    @Test("a wrong organisation-code check is caught even when the final check was recomputed")
    func organizationCheckMismatch() throws {
        // Body 07137418 needs 1 at position 17; put 5 there and recompute position 18.
        let first17 = Array("91411281071374185".utf8)
        let check = try #require(USCCAlgorithm.checkCharacter(first17))
        let code = String(decoding: first17 + [check], as: UTF8.self)
        #expect(throws: USCCError.orgCodeCheckMismatch(code: code, expected: "1", found: "5")) { try USCC(code) }
    }

    @Test("every single-character substitution and adjacent transposition is detected")
    func everySubstitutionIsDetected() throws {
        var generator = SampleGenerator(seed: 7)
        let codes = Self.workedExamples.map(\.code) + (0..<50).map { _ in generator.next().uscc.rawValue }
        let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
        var tried = 0
        for code in codes {
            let original = Array(code)
            for position in original.indices {
                for replacement in alphabet where replacement != original[position] {
                    var changed = original
                    changed[position] = replacement
                    #expect(throws: USCCError.self, "\(String(changed))") { try USCC(String(changed)) }
                    tried += 1
                }
                if position + 1 < original.count, original[position] != original[position + 1] {
                    var swapped = original
                    swapped.swapAt(position, position + 1)
                    #expect(throws: USCCError.self, "\(String(swapped))") { try USCC(String(swapped)) }
                }
            }
        }
        #expect(tried == codes.count * 18 * 30)
    }

    @Test("full-width characters, hyphens, spaces and lower case are normalised before checking")
    func normalisation() throws {
        #expect(USCC.normalize(" ９１４１－ab\u{3000}") == "9141AB")
        let expected = "914112810713741814"
        for text in [
            "９１４１１２８１０７１３７４１８１４", "9141-1281-0713-7418-14", " 914112810713741814\n", "9141 1281 0713 7418 14",
            "\u{3000}９１４１１２８１–０７１３７４１８１４", "9141\u{200B}12810713741814",
        ] {
            #expect(try USCC(text).rawValue == expected, "\(text)")
        }
        #expect(try USCC("9141000017292850xf").rawValue == "9141000017292850XF")
    }

    @Test("length, alphabet and division digits are checked with their position")
    func structure() {
        #expect(throws: USCCError.empty) { try USCC(" - ") }
        #expect(throws: USCCError.wrongLength(code: "91410100MA40X2YF9", length: 17)) { try USCC("91410100MA40X2YF9") }
        #expect(throws: USCCError.invalidCharacter(code: "91410100MO40X2YF91", character: "O", position: 10)) {
            try USCC("91410100MO40X2YF91")
        }
        #expect(throws: USCCError.invalidCharacter(code: "91410100MA40X2YF9中", character: "中", position: 18)) {
            try USCC("914101００MA40X2YF9中")
        }
        #expect(throws: USCCError.divisionNotDigits(code: "9141A100MA40X2YF91", division: "41A100")) {
            try USCC("9141A100MA40X2YF91")
        }
        #expect(USCCError.invalidCharacter(code: "X", character: "O", position: 10).description.contains("never used"))
    }

    @Test("prefix 92 is an individual business and is rejected")
    func individualBusinessRejected() {
        let code = USCC.make(prefix: "92", division: "410102", organizationBody: "MA40X2YF")
        #expect(throws: USCCError.individualBusiness(code: code.rawValue)) { try USCC(code.rawValue) }
    }

    @Test("cooperatives, other authorities and codes from outside Henan are accepted with a warning")
    func warnings() throws {
        let cooperative = try USCC(USCC.make(prefix: "93", division: "410102", organizationBody: "MA40X2YF").rawValue)
        #expect(cooperative.warnings.count == 1)
        #expect(cooperative.warnings[0].contains("cooperative"))
        let institution = try USCC(USCC.make(prefix: "12", division: "410100", organizationBody: "41600023").rawValue)
        #expect(institution.warnings.contains { $0.contains("not market supervision") })
        let movedIn = try USCC("91620105L015101280")
        #expect(movedIn.warnings == ["credit code 91620105L015101280: registered in division 620105, outside Henan; the enterprise moved in"])
        #expect(try USCC("914112810713741814").warnings.isEmpty)
    }

    @Test("codes sort and print as their canonical text")
    func ordering() throws {
        let a = try USCC("914101057355318653")
        let b = try USCC("91411700MAEFDQ7P7T")
        #expect(a < b)
        #expect("\(b)" == "91411700MAEFDQ7P7T")
    }
}
