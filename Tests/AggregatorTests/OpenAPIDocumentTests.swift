@testable import Aggregator
import EndToEndSupport
import Foundation
import Testing
import Yams

/// docs/openapi.yaml is the contract of the HTTP API: what `GET /openapi.yaml` serves is that
/// file, and every route the aggregator registers is in it with its method.
@Suite struct OpenAPIDocumentTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theServedDocumentIsDocsOpenAPIByteForByte() throws {
        let file = try Data(contentsOf: Self.root.appendingPathComponent("docs/openapi.yaml"))
        #expect(Array(OpenAPIDocument.yaml.utf8) == Array(file),
                "Sources/Aggregator/HTTP/OpenAPIDocument.swift is not docs/openapi.yaml: run Scripts/embed-openapi.sh")
    }

    @Test func everyRegisteredRouteIsDocumented() throws {
        let document = try #require(try Yams.load(yaml: OpenAPIDocument.yaml) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: Any])
        let folder = TemporaryFolder.make("openapi")
        defer { TemporaryFolder.remove(folder) }
        let server = AggregatorServer(config: AggregatorConfig(configPath: folder + "/aggregator.yaml", databasePath: folder + "/province.sqlite"),
                                      database: try ProvinceDatabase(path: folder + "/province.sqlite"))
        let routes = server.makeRouter().routes
        #expect(routes.count >= 25, "\(routes)")
        var documented: Set<String> = []
        for (path, item) in paths {
            for method in ((item as? [String: Any]) ?? [:]).keys where method != "parameters" { documented.insert("\(method.uppercased()) \(path)") }
        }
        var registered: Set<String> = []
        for route in routes {
            let path = "\(route.path)"
            registered.insert("\(route.method.rawValue) \(path.hasPrefix("/") ? path : "/" + path)")
        }
        #expect(registered.subtracting(documented).isEmpty, "registered but not in docs/openapi.yaml: \(registered.subtracting(documented).sorted())")
        #expect(documented.subtracting(registered).isEmpty, "in docs/openapi.yaml but not registered: \(documented.subtracting(registered).sorted())")
    }
}
