import ChargingCore
import ChargingCoreTesting
import Foundation
import FunctionRuntime
import Testing

@Suite("PutIdTag")
struct PutIdTagTests {
    let idTags = InMemoryIdTags()
    let clock = FixedClock(milliseconds: Harness.start)

    /// `PUT /idtags/<encoded>` with `body` as `identity` (a real HTTP API event, its path and parameters changed).
    func put(
        _ encoded: String, decoded: String? = nil, body: String, as identity: Identity = .operator
    ) async throws -> APIGatewayV2Response {
        var request = try Fixture.request("register-charger-operator", as: identity, body: body)
        request.rawPath = "/api/ChargingSessionAPI/idtags/\(encoded)"
        request.routeKey = "PUT /api/ChargingSessionAPI/idtags/{idTag}"
        request.pathParameters = decoded.map { ["idTag": $0] }
        let handler = PutIdTagHandler(idTags: idTags, clock: clock, authMode: .jwt)
        return await HTTPFunctionAdapter(handler).respond(to: request, context: .local())
    }

    @Test("an operator creates (201) then replaces (200) a tag; the answer is the stored record")
    func createsThenReplaces() async throws {
        let created = try await put(
            "CARD%201", decoded: "CARD 1",
            body: #"{"userId": "user-7", "status": "Accepted", "expiryDate": "2027-01-01T00:00:00Z"}"#)
        #expect(created.statusCode == 201, "\(created.body)")
        let body = try json(created)
        #expect(body["idTag"] as? String == "CARD 1")
        #expect(body["userId"] as? String == "user-7")
        #expect(body["status"] as? String == "Accepted")
        #expect(body["expiryDate"] as? String == "2027-01-01T00:00:00.000Z")
        #expect(body["updatedAt"] as? String == "2026-11-26T11:09:55.123Z")
        #expect(await idTags.idTag("CARD 1")?.expiryDate == 1_798_761_600_000)

        let replaced = try await put("CARD%201", body: #"{"userId": "user-7", "status": "Blocked"}"#)
        #expect(replaced.statusCode == 200, "\(replaced.body)")
        #expect(try json(replaced).keys.sorted() == ["idTag", "status", "updatedAt", "userId"])
        #expect(await idTags.idTag("CARD 1")?.status == .blocked)
        #expect(await idTags.idTag("CARD 1")?.expiryDate == nil)
        #expect(await idTags.all.count == 1)
    }

    @Test(
        "bad input is a 400 naming the field, and nothing is written",
        arguments: [
            ("CARD-1", #"{"status": "Accepted"}"#, "userId"),
            ("CARD-1", #"{"userId": "a b", "status": "Accepted"}"#, "userId"),
            ("CARD-1", #"{"userId": "u"}"#, "status"),
            ("CARD-1", #"{"userId": "u", "status": "ConcurrentTx"}"#, "status"),
            ("CARD-1", #"{"userId": "u", "status": "Accepted", "expiryDate": "soon"}"#, "expiryDate"),
            ("CARD-1", #"{"userId": "u", "status": "Accepted", "expiryDate": null}"#, "expiryDate"),
            ("ABCDEFGHIJKLMNOPQRSTU", #"{"userId": "u", "status": "Accepted"}"#, "idTag"),
            ("CARD%0A1", #"{"userId": "u", "status": "Accepted"}"#, "idTag"),
            ("CARD%zz", #"{"userId": "u", "status": "Accepted"}"#, "idTag"),
        ])
    func rejects(idTag: String, body: String, field: String) async throws {
        let response = try await put(idTag, body: body)
        #expect(response.statusCode == 400, "\(response.body)")
        #expect(try errorMessage(response).hasPrefix(field))
        #expect(await idTags.writeCount == 0)
    }

    @Test("a driver gets 403, an anonymous caller 401; nothing is written")
    func operatorsOnly() async throws {
        let body = #"{"userId": "alice", "status": "Accepted"}"#
        #expect(try await put("CARD-1", body: body, as: .driver).statusCode == 403)
        #expect(try await put("CARD-1", body: body, as: .anonymous).statusCode == 401)
        #expect(await idTags.writeCount == 0)
    }
}
