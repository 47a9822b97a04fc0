import ConfigSupport
import EnterpriseModel

/// The province's yearly targets (`report.targets.*`) and how they are split over the regions
/// (`report.regionShares.<code>`).
///
/// The defaults are the 2022 figures: at least 2,500 new above-designated-size industrial
/// enterprises, 1,000 new provincial SRDI SMEs and 100 new national little giants. A region
/// with a configured share gets that share of each target; the regions without one share what
/// is left in proportion to the live records they hold (their enterprise population), so with
/// no shares configured each region's target follows the size of its register.
public struct ReportTargets: Sendable, Equatable {
    public var aboveScale = 2_500
    public var srdi = 1_000
    public var littleGiant = 100
    /// Region code → share of the province's targets, each in 0…1, summing to at most 1.
    public var regionShares: [String: Double] = [:]

    public init(aboveScale: Int = 2_500, srdi: Int = 1_000, littleGiant: Int = 100, regionShares: [String: Double] = [:]) {
        self.aboveScale = aboveScale
        self.srdi = srdi
        self.littleGiant = littleGiant
        self.regionShares = regionShares
    }

    /// The report's keys of the aggregator's config; a region's share is a free key below
    /// `report.regionShares`, which must be a region's code.
    static let keys = ConfigKeys([
        "report.targets.aboveScale", "report.targets.srdi", "report.targets.littleGiant", "report.regionShares.*",
    ])

    static func load(_ values: ConfigValues) throws -> ReportTargets {
        var targets = ReportTargets()
        targets.aboveScale = try AggregatorConfig.integer(values, "report.targets.aboveScale", targets.aboveScale, range: 0...1_000_000)
        targets.srdi = try AggregatorConfig.integer(values, "report.targets.srdi", targets.srdi, range: 0...1_000_000)
        targets.littleGiant = try AggregatorConfig.integer(values, "report.targets.littleGiant", targets.littleGiant, range: 0...1_000_000)
        // A share for a code that is no region would be ignored: the region meant gets none.
        for share in values.file.freeKeys["report.regionShares"] ?? [] where Regions.region(code: share.name) == nil {
            throw ConfigError("\(values.file.path):\(share.line): report.regionShares.\(share.name): \(share.name) is not one of the 18 regions (410100 … 411700, 419001)")
        }
        for region in Regions.all {
            let key = "report.regionShares.\(region.code)"
            guard let text = values.string(key) else { continue }
            guard let share = Double(text), share >= 0, share <= 1 else { throw ConfigError(values.invalid(key, "a share between 0 and 1")) }
            targets.regionShares[region.code] = share
        }
        let sum = targets.regionShares.values.reduce(0, +)
        guard sum <= 1.000_001 else {
            throw ConfigError("\(values.origin("report.regionShares")): report.regionShares add up to \(sum); they must add up to at most 1")
        }
        return targets
    }

    /// Each region's share of the targets, given the live records each region holds.
    public func shares(records: [String: Int]) -> [String: Double] {
        let rest = max(0, 1 - regionShares.values.reduce(0, +))
        let unshared = Regions.all.map(\.code).filter { regionShares[$0] == nil }
        let population = unshared.reduce(0) { $0 + (records[$1] ?? 0) }
        var shares = regionShares
        for code in unshared {
            shares[code] = population == 0 ? rest / Double(max(unshared.count, 1)) : rest * Double(records[code] ?? 0) / Double(population)
        }
        return shares
    }
}
