import Foundation

/// Times as the province reads them: Beijing time (UTC+8, no daylight saving), the same on the
/// review pages, `esync-aggregator` and `esync-agent`. Times are stored and sent as ISO 8601 in
/// UTC; a person is shown Beijing time, on the command line with its zone written after it
/// (`2026-05-01 14:03+08:00`), so that no time in a terminal reads eight hours wrong. `--json`
/// keeps the stored ISO 8601 text.
public enum BeijingTime {
    public static let zone = TimeZone(secondsFromGMT: 8 * 3600)!

    /// An ISO 8601 time, with or without fractional seconds.
    public static func date(_ iso: String) -> Date? {
        if let date = try? Date(iso, strategy: .iso8601) { return date }
        return try? Date(iso, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// "2026-05-01 14:03" (or with seconds), without the zone: for the pages, which say once
    /// that their times are Beijing time. Nil when `iso` is not a time.
    public static func local(_ iso: String, seconds: Bool = false) -> String? {
        guard let date = date(iso) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let minutes = String(format: "%04d-%02d-%02d %02d:%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0)
        return seconds ? minutes + String(format: ":%02d", c.second ?? 0) : minutes
    }

    /// "2026-05-01 14:03+08:00" for the command line; the stored text when it is not a time.
    public static func text(_ iso: String, seconds: Bool = false) -> String {
        local(iso, seconds: seconds).map { $0 + "+08:00" } ?? iso
    }
}
