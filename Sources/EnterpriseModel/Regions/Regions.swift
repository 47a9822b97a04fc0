/// The default list of the 18 regions and the lookups that map codes to them.
///
/// Ownership of a county code is decided by its prefix, not by membership in `counties`: retired
/// codes (410381 偃师市, now 410307 偃师区) keep appearing in old addresses and must still land in
/// the right city.
public enum Regions {
    /// The 18 regions in code order (410100 郑州市 … 411700 驻马店市, then 419001 济源市).
    public static let all: [Region] = data

    private static let byCode: [String: Region] = Dictionary(all.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })

    /// The region whose key is `code` exactly ("410300"), or nil: "4103", "410000" and "419000" are not keys.
    public static func region(code: String) -> Region? {
        byCode[code]
    }

    /// The region that owns a 6-digit county-level code: the region keyed `code[0..<4] + "00"`,
    /// or Jiyuan for exactly 419001. Nil for anything else, including province-level 410000,
    /// 4190xx other than 419001, and codes outside Henan. The city's own code ("410300") maps to
    /// the city: it is not a county, but it is not another region's either.
    public static func regionOwning(countyCode: String) -> Region? {
        let bytes = Array(countyCode.utf8)
        guard bytes.count == 6, bytes.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        if countyCode == "419001" { return byCode["419001"] }
        return byCode[String(decoding: bytes[0..<4], as: UTF8.self) + "00"]
    }

    /// A retired county-level code that still appears in old credit codes and addresses, with
    /// its old name and the code that replaced it where docs/domain.md §3 names one (NBS 2017 → 2022).
    static func retiredCounty(code: String) -> (name: String, successor: String?)? {
        retired[code]
    }

    private static let retired: [String: (name: String, successor: String?)] = [
        "410211": ("金明区", nil),
        "410224": ("开封县", "410212"),
        "410306": ("吉利区", "410308"),
        "410322": ("孟津县", "410308"),
        "410381": ("偃师市", "410307"),
        "410728": ("长垣县", "410783"),
        "411023": ("许昌县", "411003"),
        "411222": ("陕县", "411203"),
        "411626": ("淮阳县", "411603"),
    ]
}
