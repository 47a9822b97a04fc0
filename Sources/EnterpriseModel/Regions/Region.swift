/// One of the prefecture-level units whose bureau owns records: 17 cities and Jiyuan.
///
/// `code` is the 6-digit key used in the record's `region` field (410100 … 411700, and 419001 for
/// Jiyuan, which has no prefecture-level code). `counties` is the current county-level list; it is
/// for display and for spotting unknown codes, never for deciding ownership (see
/// `Regions.regionOwning(countyCode:)`).
public struct Region: Sendable, Hashable {
    /// The 6-digit region key, e.g. "410300".
    public let code: String
    /// The Chinese name, e.g. "洛阳市".
    public let name: String
    /// The pinyin name without tones, e.g. "Luoyang".
    public let pinyin: String
    /// The current county-level divisions, including NBS-only development zones (xx71–xx73).
    public let counties: [County]

    public init(code: String, name: String, pinyin: String, counties: [County]) {
        self.code = code
        self.name = name
        self.pinyin = pinyin
        self.counties = counties
    }

    /// The current county with this code, or nil (also for retired codes that still belong here).
    public func county(code: String) -> County? {
        counties.first { $0.code == code }
    }

    /// The short name used in enterprise names: "洛阳" for 洛阳市, "济源" for 济源市.
    var shortName: String {
        name.hasSuffix("市") ? String(name.dropLast()) : name
    }
}
