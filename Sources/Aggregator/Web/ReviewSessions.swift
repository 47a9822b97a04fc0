import Foundation
import SyncCore

/// Signed-in reviewers of the review pages. A session id is 256 random bits, given to the
/// browser once in a cookie; the database keeps only its SHA-256, so a copy of the database
/// lets nobody in. A session ends on logout, after `idle` without a request, after `maxAge`
/// in all, or when the reviewer's token is revoked.
///
/// Each session has its own CSRF token, which every form of the pages carries in a hidden field
/// and every POST must send back.
public struct ReviewSessions: Sendable {
    public let database: ProvinceDatabase
    public var idle: TimeInterval
    public var maxAge: TimeInterval

    public init(database: ProvinceDatabase, idle: TimeInterval = 8 * 3600, maxAge: TimeInterval = 24 * 3600) {
        self.database = database
        self.idle = idle
        self.maxAge = maxAge
    }

    public struct Session: Sendable, Equatable {
        /// The SHA-256 of the cookie's value: how the database names the session.
        public var key: String
        public var reviewer: String
        public var csrf: String
        /// A message left by the last POST for the page after the redirect (shown once).
        public var flash: Flash?

        public var principal: Principal { Principal(role: .reviewer, region: nil, name: reviewer) }
    }

    public struct Flash: Sendable, Equatable {
        public var lines: [String]
        public var isError: Bool

        public init(_ lines: [String], isError: Bool = false) {
            self.lines = lines
            self.isError = isError
        }
    }

    /// Starts a session for a reviewer who signed in with `token`; returns the cookie value
    /// (the only time it exists in clear) and the session.
    public func start(reviewer: String, token: String, address: String?, now: Date = Date()) async throws -> (cookie: String, session: Session) {
        let cookie = Self.randomToken()
        let session = Session(key: Self.hash(cookie), reviewer: reviewer, csrf: Self.randomToken())
        let time = now.timeIntervalSince1970
        let idle = self.idle, maxAge = self.maxAge
        let stored = StoredSession(key: session.key, reviewer: reviewer, tokenHash: TokenStore.hash(token), csrf: session.csrf, createdAt: time,
                                   lastSeenAt: time, address: address)
        try await database.write { register in
            // Expired sessions are swept here rather than by a timer.
            try register.deleteSessions(idleBefore: time - idle, startedBefore: time - maxAge)
            try register.insertSession(stored)
        }
        return (cookie, session)
    }

    /// The live session a cookie names, or nil (unknown, expired, ended, or its token revoked).
    /// Seeing it counts as activity; its flash message is handed over once and cleared.
    public func find(cookie: String, now: Date = Date()) async throws -> Session? {
        let key = Self.hash(cookie)
        let time = now.timeIntervalSince1970
        let idle = self.idle, maxAge = self.maxAge
        return try await database.write { register in
            guard let row = try register.liveSession(key: key) else { return nil }
            guard row.lastSeenAt >= time - idle, row.createdAt >= time - maxAge else {
                try register.deleteSession(key: key)
                return nil
            }
            try register.touchSession(key: key, at: time)
            let flash = row.flash.map { Flash($0.components(separatedBy: "\n"), isError: row.flashError) }
            return Session(key: key, reviewer: row.reviewer, csrf: row.csrf, flash: flash)
        }
    }

    /// Leaves a message for the next page the session sees.
    public func setFlash(_ flash: Flash, for session: Session) async throws {
        try await database.write { register in try register.setFlash(key: session.key, text: flash.lines.joined(separator: "\n"), isError: flash.isError) }
    }

    public func end(_ session: Session) async throws {
        try await database.write { register in try register.deleteSession(key: session.key) }
    }

    /// Whether a form's CSRF field is the session's token, compared in constant time so the
    /// answer's timing does not tell how much of a guess was right.
    public static func csrfMatches(_ sent: String?, _ expected: String) -> Bool {
        guard let sent else { return false }
        return constantTimeEquals(Array(sent.utf8), Array(expected.utf8))
    }

    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count, !a.isEmpty else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    /// 256 random bits, base64url without padding (43 characters, valid in a cookie).
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<4).flatMap { _ in withUnsafeBytes(of: generator.next() as UInt64) { Array($0) } }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func hash(_ value: String) -> String {
        ContentHash.of(bytes: Array(value.utf8))
    }
}
