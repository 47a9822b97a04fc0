#if canImport(Glibc)
import Glibc
#endif
import CurlHTTP
@testable import EndToEndSupport
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// Requests a careless or hostile client could send to the real aggregator: each is refused with
/// a clear status and reason, nothing changes in the database, and the server stays up.
@Suite(.serialized) struct HostileInputTests {
    /// Sends `head` (and `body`) over a plain socket and returns the first line of the answer
    /// within `seconds`: how a body refused before it is read can be told from one read whole.
    func rawStatusLine(_ url: String, _ head: String, body: [UInt8] = [], seconds: Int = 5) throws -> String {
        let port = UInt16(url.split(separator: ":").last!)!
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { throw HarnessError("connect: \(errno)") }
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(head.utf8) + body
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return "" }
        return String(decoding: buffer[..<n], as: UTF8.self).components(separatedBy: "\r\n").first ?? ""
    }

    func changeSet(_ documents: [JSONValue], id: String) -> [UInt8] {
        let records = documents.map { document in
            RecordChange(uscc: document["uscc"]!.stringValue!, op: .create, fields: FieldPath.flatten(document).mapValues { FieldChange(expected: nil, value: $0) })
        }
        return ChangeSet(id: id, region: "410100", createdAt: "2026-11-27T00:00:00Z", records: records).encoded()
    }

    @Test func oversizedMalformedAndInvalidRequestsAreRefusedClearlyAndChangeNothing() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "hostile", environment: [
            "ESYNC_LIMITS_MAX_BODY_BYTES": "65536", "ESYNC_LIMITS_MAX_RECORDS_PER_CHANGE_SET": "5",
        ])
        defer { province.stop() }
        let token = province.bureauTokens["410100"]!
        func post(_ body: [UInt8], headers: [(name: String, value: String)] = []) throws -> HTTPResponse {
            try CurlClient().perform(HTTPRequest(method: .post, url: province.url + "/v1/changesets",
                                                 headers: [("Authorization", "Bearer " + token)] + headers, body: body))
        }
        func message(_ response: HTTPResponse) -> String { (try? JSONValue.parse(response.body))?["message"]?.stringValue ?? response.bodyString }
        var generator = SampleGenerator(seed: 5)
        let zhengzhou = Regions.region(code: "410100")
        let documents = (0..<6).map { _ in generator.next(region: zhengzhou).json }

        // A declared length far over the limit: refused from the headers, the body never read.
        let line = try rawStatusLine(province.url, "POST /v1/changesets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n", body: Array("{\"id\":".utf8))
        #expect(line.contains("413"), "a 1 GB declared body: \(line)")

        // A gzip bomb: 48 kB that inflate to 50 MB, refused as soon as it passes the limit.
        let folder = province.folder
        #expect(try run("/bin/sh", ["-c", "head -c 50000000 /dev/zero | gzip -c > \(folder)/bomb.gz"], in: folder).status == 0)
        let bomb = try post(Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/bomb.gz"))), headers: [("Content-Encoding", "gzip")])
        #expect(bomb.status == 413 && message(bomb).contains("decompresses"), "\(bomb.status) \(message(bomb))")

        // A plain body over the limit, more records than a change set may hold.
        let big = try post([UInt8](repeating: 0x20, count: 70_000))
        #expect(big.status == 413, "\(big.status) \(message(big))")
        let many = try post(changeSet(documents, id: "too-many"))
        #expect(many.status == 413 && message(many).contains("6 records") && message(many).contains("5"), "\(many.status) \(message(many))")

        // Not JSON, nested past any sense, a number where a record needs text.
        let cut = try post(Array(#"{"id": "x", "region": "#.utf8))
        #expect(cut.status == 400, "\(cut.status) \(message(cut))")
        let deep = try post(Array(String(repeating: "[", count: 60_000).utf8))
        #expect(deep.status == 400, "\(deep.status) \(message(deep))")
        var broken = documents[0]
        FieldPath.set(&broken, path: "employees", to: .string("many"))
        // An invalid record is refused alone, naming it and the field (the rest of a change set
        // would go through); the change set is kept with its answer so a resend gets the same.
        let invalid = try post(changeSet([broken], id: "invalid-field"))
        let result = try ChangeSetResult.decode(invalid.body)
        #expect(invalid.status == 200 && result.records.count == 1, "\(invalid.status) \(invalid.bodyString)")
        #expect(result.records.first?.uscc == broken["uscc"]!.stringValue! && result.records.first?.outcome == .rejected
                && result.records.first?.reason?.contains("employees") == true, "\(invalid.bodyString)")

        // Routes that do not exist, and methods a route does not take.
        let nowhere = try province.request(.get, "/v1/nowhere", token: token)
        #expect(nowhere.status == 404 && (try? JSONValue.parse(nowhere.body))?["error"] != nil, "\(nowhere.status) \(nowhere.bodyString)")
        let wrongMethod = try province.request(.delete, "/v1/changesets", token: token)
        #expect(wrongMethod.status == 405 || wrongMethod.status == 404, "\(wrongMethod.status) \(wrongMethod.bodyString)")

        // Nothing of it reached the records (one change set: the refused record's), and the
        // server still serves.
        #expect(try province.request(.get, "/healthz").status == 200)
        let counts = try province.sql("SELECT (SELECT COUNT(*) FROM records) || ' ' || (SELECT COUNT(*) FROM changesets)")
        #expect(counts == "0 1", "\(counts)")
        let good = try post(changeSet(Array(documents[0..<5]), id: "good"))
        #expect(good.status == 200, "\(good.status) \(message(good))")
    }

    /// One bureau request once took the province down: a field path of 300,000 parts made the
    /// merge recurse that deep before the record was validated. Paths, field counts and every
    /// string of a change set are bounded when it is decoded, before any merge or write; a
    /// reviewer's edit goes through the same bounds.
    @Test func deepPathsAndLongStringsAreRefusedBeforeAnyMerge() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "hostile-paths")
        defer { province.stop() }
        let token = province.bureauTokens["410100"]!
        func post(_ changeSet: ChangeSet) throws -> HTTPResponse {
            try province.request(.post, "/v1/changesets", token: token, body: changeSet.encoded())
        }
        func message(_ response: HTTPResponse) -> String { (try? JSONValue.parse(response.body))?["message"]?.stringValue ?? response.bodyString }
        var generator = SampleGenerator(seed: 9)
        let document = generator.next(region: Regions.region(code: "410100")).json
        let uscc = document["uscc"]!.stringValue!
        func create(_ extra: [String: FieldChange] = [:]) -> RecordChange {
            RecordChange(uscc: uscc, op: .create, fields: FieldPath.flatten(document).mapValues { FieldChange(expected: nil, value: $0) }.merging(extra) { $1 })
        }
        let deepPath = Array(repeating: "a", count: 300_000).joined(separator: ".")

        // A new record and an existing one with the deep path: 400 naming the field, nothing merged.
        let deepNew = try post(ChangeSet(id: "deep-new", region: "410100", createdAt: "2026-12-05T00:00:00Z",
                                         records: [create(["x." + deepPath: FieldChange(expected: nil, value: .int(1))])]))
        #expect(deepNew.status == 400 && message(deepNew).contains("600001 bytes") && message(deepNew).contains(uscc), "\(deepNew.status) \(message(deepNew))")
        let first = try post(ChangeSet(id: "first", region: "410100", createdAt: "2026-12-05T00:00:00Z", records: [create()]))
        #expect(first.status == 200, "\(first.status) \(message(first))")
        let nine = Array(repeating: "b", count: 9).joined(separator: ".")
        let deepUpdate = try post(ChangeSet(id: "deep-update", region: "410100", createdAt: "2026-12-05T00:00:00Z",
                                            records: [RecordChange(uscc: uscc, op: .update, fields: [nine: FieldChange(expected: nil, value: .int(1))], baseRevision: 1)]))
        #expect(deepUpdate.status == 400 && message(deepUpdate).contains("9 parts"), "\(deepUpdate.status) \(message(deepUpdate))")
        let manyFields = try post(ChangeSet(id: "many-fields", region: "410100", createdAt: "2026-12-05T00:00:00Z",
                                            records: [RecordChange(uscc: uscc, op: .update, fields: Dictionary(uniqueKeysWithValues: (0..<2_001).map { ("x\($0)", FieldChange(expected: nil, value: .int(1))) }), baseRevision: 1)]))
        #expect(manyFields.status == 400 && message(manyFields).contains("2001 fields"), "\(manyFields.status) \(message(manyFields))")

        // Every string of the change set is bounded: agent, push, createdAt, id, a credit code.
        let long = String(repeating: "z", count: 100_000)
        var labelled = ChangeSet(id: "long-agent", region: "410100", createdAt: "2026-12-05T00:00:00Z", agent: long, records: [create()])
        var answer = try post(labelled)
        #expect(answer.status == 400 && message(answer).contains("agent") && message(answer).contains("100000 bytes"), "\(answer.status) \(message(answer))")
        labelled.agent = nil
        labelled.push = long
        answer = try post(labelled)
        #expect(answer.status == 400 && message(answer).contains("push"), "\(answer.status) \(message(answer))")
        labelled.push = nil
        labelled.createdAt = long
        answer = try post(labelled)
        #expect(answer.status == 400 && message(answer).contains("createdAt"), "\(answer.status) \(message(answer))")
        answer = try post(ChangeSet(id: long, region: "410100", createdAt: "2026-12-05T00:00:00Z", records: [create()]))
        #expect(answer.status == 400 && message(answer).contains("id"), "\(answer.status) \(message(answer))")
        answer = try post(ChangeSet(id: "long-code", region: "410100", createdAt: "2026-12-05T00:00:00Z", records: [RecordChange(uscc: long, op: .delete)]))
        #expect(answer.status == 400 && message(answer).contains("uscc"), "\(answer.status) \(message(answer))")
        #expect(!message(answer).contains(long), "the message repeats 100 kB of the request")

        // A reviewer's edit reaches the same merge: the same bounds.
        let patch = try province.request(.patch, "/v1/records/\(uscc)", token: province.reviewerToken,
                                         body: Array(#"{"set": {"\#(deepPath)": 1}}"#.utf8))
        #expect(patch.status == 400 && message(patch).contains("bytes"), "\(patch.status) \(message(patch))")

        // The province is up, and holds the one record at its first revision.
        #expect(try province.request(.get, "/healthz").status == 200)
        #expect(try province.record(uscc).revision == 1)
        #expect(try province.sql("SELECT COUNT(*) FROM changesets").trimmingCharacters(in: .whitespacesAndNewlines) == "1")
    }

    /// Opens a connection to the aggregator and sends `text` without finishing the request;
    /// returns the socket (the caller closes it).
    func halfOpen(_ url: String, _ text: String) throws -> Int32 {
        let port = UInt16(url.split(separator: ":").last!)!
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else {
            close(fd)
            throw HarnessError("connect: \(errno)")
        }
        _ = Array(text.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return fd
    }

    /// Hundreds of requests that never finish (a head cut short, a body trickled, nothing at
    /// all) once held every connection the province could open: with a file-descriptor limit of
    /// 256, bureaus could no longer reach it. Idle connections are closed, bodies must arrive in
    /// time, and connections beyond the cap wait in the backlog, so real requests are answered.
    @Test func halfOpenConnectionsDoNotHoldTheServer() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "half-open", environment: [
            "ESYNC_LIMITS_IDLE_TIMEOUT_SECONDS": "1", "ESYNC_LIMITS_BODY_TIMEOUT_SECONDS": "2", "ESYNC_LIMITS_MAX_CONNECTIONS": "100",
        ], launcher: ["/usr/bin/prlimit", "--nofile=256", "--"])
        defer { province.stop() }
        let token = province.bureauTokens["410100"]!
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        let heads = ["", "POST /v1/changesets HTTP/1.1\r\nHost: x\r\n", "GET /healthz HTTP/1.1\r\nHo"]
        for n in 0..<300 { sockets.append(try halfOpen(province.url, heads[n % heads.count])) }

        // A body trickled a byte at a time, each within the idle timeout: 408 after 2 s.
        let trickle = try halfOpen(province.url, "POST /v1/changesets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Length: 1000\r\n\r\n{")
        defer { close(trickle) }

        // A real request is answered while all of them are open (the curl timeout is 30 s).
        let started = Date()
        let health = try province.request(.get, "/healthz")
        #expect(health.status == 200, "\(health.status) \(health.bodyString)")
        #expect(Date().timeIntervalSince(started) < 20, "answered after \(Date().timeIntervalSince(started)) s")

        var answer = [UInt8](repeating: 0, count: 4096)
        var received = 0
        for _ in 0..<8 {
            _ = send(trickle, " ", 1, Int32(MSG_NOSIGNAL))
            var ready = pollfd(fd: trickle, events: Int16(POLLIN), revents: 0)
            if poll(&ready, 1, 500) > 0 {
                received = recv(trickle, &answer, answer.count, 0)
                break
            }
        }
        let text = String(decoding: answer[..<max(received, 0)], as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 408") && text.contains("bodyTimeoutSeconds"), "\(text)")

        // The half-open connections were closed by the server (a read ends, it does not time out).
        let first = sockets[1]
        var byte: UInt8 = 0
        let ended = recv(first, &byte, 1, 0)
        #expect(ended == 0, "the server still holds a half-open connection (recv \(ended), errno \(errno))")
    }

    /// Behind a proxy every request comes from the proxy's address: one reviewer's typos used to
    /// slow down everyone. With `listen.trustedProxies` the throttle keys on the client the
    /// proxy names, and only a trusted proxy is believed.
    @Test func theThrottleKeysOnTheClientATrustedProxyNames() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "proxied", config: "listen.trustedProxies: [\"127.0.0.1\"]\n")
        defer { province.stop() }
        func wrongToken(from client: String) throws -> (status: Int, seconds: Double) {
            let started = Date()
            let response = try province.request(.get, "/v1/changes", token: "esync_wrongwrongwrongwrongwrongwrongwrong", headers: [("X-Forwarded-For", "203.0.113.9, \(client)")])
            return (response.status, Date().timeIntervalSince(started))
        }
        for _ in 0..<5 { #expect(try wrongToken(from: "198.51.100.7").status == 401) }
        let slowed = try wrongToken(from: "198.51.100.7")
        #expect(slowed.status == 401 && slowed.seconds >= 0.8, "the guesser is slowed down: \(slowed)")
        let other = try wrongToken(from: "198.51.100.8")
        #expect(other.status == 401 && other.seconds < 0.5, "another client behind the same proxy is not: \(other)")
    }

    /// The queue's `limit` and `olderThan` are bounded (a limit of a billion, an age of 1e300
    /// days), and a `status`, `kind` or `region` that is none of the known ones is refused as
    /// the command line refuses it (found by the OpenAPI fuzzer: a typo listed an empty queue):
    /// 400 naming the parameter.
    @Test func theQueuesLimitAndAgeAreBounded() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "queue-bounds")
        defer { province.stop() }
        func message(_ response: HTTPResponse) -> String { (try? JSONValue.parse(response.body))?["message"]?.stringValue ?? response.bodyString }
        let huge = try province.request(.get, "/v1/conflicts?limit=1000000000", token: province.reviewerToken)
        #expect(huge.status == 400 && message(huge).contains("limit"), "\(huge.status) \(message(huge))")
        let ancient = try province.request(.get, "/v1/conflicts?olderThan=1e300d", token: province.reviewerToken)
        #expect(ancient.status == 400 && message(ancient).contains("100 years"), "\(ancient.status) \(message(ancient))")
        #expect(try province.request(.get, "/v1/conflicts?limit=5000&olderThan=7d", token: province.reviewerToken).status == 200)
        for (query, named) in [("status=B%18T", "status"), ("kind=%7F", "kind"), ("status=opne", "status"), ("region=410000", "region")] {
            let typo = try province.request(.get, "/v1/conflicts?\(query)", token: province.reviewerToken)
            #expect(typo.status == 400 && message(typo).hasPrefix(named), "\(query): \(typo.status) \(message(typo))")
        }
        for query in ["status=all&kind=transfer&region=419001", "status=withdrawn&kind=delete"] {
            #expect(try province.request(.get, "/v1/conflicts?\(query)", token: province.reviewerToken).status == 200, "\(query)")
        }
    }

    /// What a bureau sends (its `agent` label, change set ids, record text) is printed by the
    /// province's command line without a control character a terminal would act on: an OSC that
    /// retitles the window, a CSI that clears the screen, a BEL. They are shown as escapes (`\e`).
    @Test func bureauTextReachesTheProvincesTerminalWithoutControlCharacters() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "hostile-terminal", environment: ["ESYNC_GUARD_MIN_CHANGES": "1"])
        defer { province.stop() }
        let hostile = "\u{1B}]0;pwned\u{07}\u{1B}[2J\u{9B}31m\u{7F}"
        let agent = "esync-agent/9 " + hostile
        func post(_ changeSet: ChangeSet) throws {
            let answer = try province.request(.post, "/v1/changesets", token: province.bureauTokens["410100"]!, body: changeSet.encoded())
            #expect(answer.status < 300, "\(answer.status) \(answer.bodyString)")
        }
        let zhengzhou = try #require(Regions.region(code: "410100"))
        var generator = SampleGenerator(seed: 71)
        let documents = (0..<4).map { _ in
            var document = generator.next(region: zhengzhou).json
            FieldPath.set(&document, path: "name", to: .string("恶意\(hostile)公司"))
            FieldPath.set(&document, path: "county", to: .string(zhengzhou.counties[0].code))
            return document
        }
        let codes = documents.map { $0["uscc"]!.stringValue! }
        try post(ChangeSet(id: "create-\(hostile)", region: "410100", createdAt: "2026-12-05T00:00:00Z", agent: agent, records: documents.map { document in
            RecordChange(uscc: document["uscc"]!.stringValue!, op: .create, fields: FieldPath.flatten(document).mapValues { FieldChange(expected: nil, value: $0) })
        }))
        // The province and the bureau both change one record's county: a conflict for review.
        let set = try province.cli(["records", "set", codes[0], "county=\"\(zhengzhou.counties[1].code)\""])
        #expect(set.status == 0, "\(set)")
        func update(_ uscc: String) -> RecordChange {
            RecordChange(uscc: uscc, op: .update, fields: ["county": FieldChange(expected: .string(zhengzhou.counties[0].code), value: .string(zhengzhou.counties[2].code))],
                         baseRevision: 1)
        }
        try post(ChangeSet(id: "conflict-\(hostile)", region: "410100", createdAt: "2026-12-05T00:00:01Z", agent: agent, records: [update(codes[0])]))
        // Half the region's records changed at once: held by the mass-change guard.
        try post(ChangeSet(id: "held-\(hostile)", region: "410100", createdAt: "2026-12-05T00:00:02Z", agent: agent, records: [update(codes[1]), update(codes[2])]))
        let conflictID = try province.sql("SELECT id FROM conflicts LIMIT 1")

        for command in [["regions"], ["regions", "--json"], ["conflicts", "list"], ["conflicts", "list", "--json"], ["conflicts", "show", conflictID],
                        ["changesets", "list"], ["records", "get", codes[0]], ["report", "--table", "warnings"]] {
            let result = try province.cli(command)
            #expect(result.status == 0, "\(command): \(result)")
            let controls = result.stdout.unicodeScalars.filter { ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) }
            #expect(controls.isEmpty, "\(command) printed control characters \(controls.map { String($0.value, radix: 16) }): \(result.stdout)")
        }
        let regions = try province.cli(["regions"])
        #expect(regions.stdout.contains(#"esync-agent/9 \e]0;pwned\u{07}\e[2J\u{9B}31m\u{7F}"#), "\(regions.stdout)")
        let shown = try province.cli(["conflicts", "show", conflictID])
        #expect(shown.stdout.contains(#"恶意\e]0;pwned"#) && shown.stdout.contains(#"conflict-\e]0;pwned"#), "\(shown.stdout)")
        let held = try province.cli(["changesets", "list"])
        #expect(held.stdout.contains(#"held-\e]0;pwned"#), "\(held.stdout)")
    }
}
