import Foundation
import Hummingbird

/// `GET /swagger/v1/swagger.json` (the repo's OpenAPI document) and Swagger UI at `/swagger/index.html`,
/// served from locally installed assets so it works offline.
struct Swagger: Sendable {
    let openAPIPath: String
    let assetsDirectory: String

    static let assets: Set<String> = [
        "swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "favicon-32x32.png",
        "favicon-16x16.png", "swagger-ui.css.map", "swagger-ui-bundle.js.map", "swagger-ui-standalone-preset.js.map",
        "index.css",
    ]

    static let indexHTML = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <title>evcsm API — Swagger UI</title>
          <link rel="stylesheet" href="swagger-ui.css">
          <link rel="icon" type="image/png" href="favicon-32x32.png" sizes="32x32">
        </head>
        <body>
          <div id="swagger-ui"></div>
          <script src="swagger-ui-bundle.js"></script>
          <script src="swagger-ui-standalone-preset.js"></script>
          <script>
            window.ui = SwaggerUIBundle({
              url: "v1/swagger.json",
              dom_id: "#swagger-ui",
              deepLinking: true,
              presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
              layout: "StandaloneLayout"
            });
          </script>
        </body>
        </html>
        """

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/swagger/v1/swagger.json") { _, _ -> Response in
            guard let data = FileManager.default.contents(atPath: openAPIPath) else {
                throw HTTPError(.notFound, message: "OpenAPI document not found at \(openAPIPath)")
            }
            return Self.file(data, type: "application/json")
        }
        router.get("/swagger") { _, _ in Response.redirect(to: "/swagger/index.html") }
        router.get("/swagger/index.html") { _, _ -> Response in
            guard FileManager.default.fileExists(atPath: "\(assetsDirectory)/swagger-ui-bundle.js") else {
                throw HTTPError(
                    .serviceUnavailable,
                    message: "Swagger UI assets are not installed in \(assetsDirectory); run `make setup`")
            }
            return Self.file(Data(Self.indexHTML.utf8), type: "text/html; charset=utf-8")
        }
        router.get("/swagger/{file}") { _, context -> Response in
            let name = try context.parameters.require("file")
            guard Self.assets.contains(name),
                let data = FileManager.default.contents(atPath: "\(assetsDirectory)/\(name)")
            else { throw HTTPError(.notFound, message: "no Swagger UI asset \(name)") }
            let type =
                name.hasSuffix(".css")
                ? "text/css"
                : name.hasSuffix(".png")
                    ? "image/png"
                    : name.hasSuffix(".map") ? "application/json" : "application/javascript"
            return Self.file(data, type: type)
        }
    }

    static func file(_ data: Data, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
