import CCurl
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// An ``HTTPTransport`` over libcurl with one reused easy handle, and one kept-alive socket for plain HTTP.
///
/// The handle keeps its connection cache between requests, so consecutive requests to the same host
/// reuse the connection (HTTP keep-alive). Unsigned `http://` requests (the Runtime API, a local Data API) go
/// over a ``PlainHTTPConnection`` instead, which sends the same request and answers the same response without
/// libcurl's per-transfer work; libcurl (and with it OpenSSL) is loaded (`dlopen`) and initialised only on the
/// first request that needs it: https, SigV4, or any request while a proxy is set in the environment
/// (`http_proxy`, `all_proxy`), which only curl honours. A process that never needs it never maps it; when it
/// cannot be loaded, such a request fails as a transport error naming `libcurl.so.4`. Requests are serialized by a lock: one client serves one
/// caller at a time, which is all a function needs. Calls block the calling thread until the answer
/// is complete (see ``HTTPTransport``).
public final class CurlHTTPClient: HTTPTransport, @unchecked Sendable {
    /// Created on the first request libcurl serves.
    private var curlHandle: UnsafeMutableRawPointer?
    private let plain = PlainHTTPConnection()
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let lock = Mutex(())

    /// Loads libcurl and runs `curl_global_init`, exactly once per process, before the first handle is created:
    /// nil when done, else why not.
    private static let loadFailure: String? = {
        if let failure = evcsm_curl_load() { return "libcurl.so.4 could not be loaded: \(String(cString: failure))" }
        let code = evcsm_curl_global_init_default()
        return code == CURLE_OK ? nil : "curl_global_init failed (\(code.rawValue))"
    }()

    /// Whether plain requests may skip libcurl: no proxy in the environment (read once).
    static let plainHTTPAllowed: Bool = ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"].allSatisfy {
        (name: String) in getenv(name).map { $0.pointee == 0 } ?? true
    }

    /// Creates a client (its curl easy handle comes with the first request libcurl serves).
    public init() {
        let size = evcsm_curl_error_size()
        errorBuffer = .allocate(capacity: size)
        errorBuffer.initialize(repeating: 0, count: size)
    }

    deinit {
        if let curlHandle { evcsm_curl_easy_cleanup(curlHandle) }
        errorBuffer.deallocate()
    }

    public func send(_ request: HTTPClientRequest) throws(FunctionRuntimeError) -> HTTPClientResponse {
        try lock.withLock { _ throws(FunctionRuntimeError) -> HTTPClientResponse in try sendLocked(request) }
    }

    /// Pipelined over the plain connection when both requests go there (the Runtime API's `/response` and the
    /// next `/next`: one write, and the answer and the next invocation can arrive in one read); one after the
    /// other otherwise.
    public func send(
        _ first: HTTPClientRequest, then second: HTTPClientRequest
    ) throws(FunctionRuntimeError) -> (HTTPClientResponse, HTTPClientResponse) {
        try lock.withLock { _ throws(FunctionRuntimeError) -> (HTTPClientResponse, HTTPClientResponse) in
            guard let target = Self.plainTarget(first), let secondTarget = Self.plainTarget(second),
                target.host == secondTarget.host, target.port == secondTarget.port
            else {
                let answer = try sendLocked(first)
                return (answer, try sendLocked(second))
            }
            do throws(PlainHTTPFailure) {
                return try plain.send(first, then: second, to: target, secondTarget: secondTarget)
            } catch {
                throw Self.transportError(error, error.inSecond ? second : first)
            }
        }
    }

    /// One request, with ``lock`` held.
    private func sendLocked(_ request: HTTPClientRequest) throws(FunctionRuntimeError) -> HTTPClientResponse {
        guard let target = Self.plainTarget(request) else { return try perform(request) }
        do throws(PlainHTTPFailure) {
            return try plain.send(request, to: target)
        } catch {
            throw Self.transportError(error, request)
        }
    }

    /// Where a request goes over the plain connection; nil when libcurl must send it.
    private static func plainTarget(_ request: HTTPClientRequest) -> PlainHTTPTarget? {
        guard plainHTTPAllowed, request.awsSigV4 == nil,
            request.body.isEmpty || !["GET", "HEAD"].contains(request.method.uppercased())
        else { return nil }
        return PlainHTTPTarget(request.url)
    }

    private static func transportError(_ error: PlainHTTPFailure, _ request: HTTPClientRequest) -> FunctionRuntimeError
    {
        FunctionRuntimeError(.transport, "\(error.message) for \(request.method.uppercased()) \(request.url)")
    }

    /// The easy handle, made on first use (loading libcurl first).
    private func easyHandle(for request: HTTPClientRequest) throws(FunctionRuntimeError) -> UnsafeMutableRawPointer {
        if let curlHandle { return curlHandle }
        if let failure = Self.loadFailure {
            throw FunctionRuntimeError(.transport, "\(failure) for \(request.method.uppercased()) \(request.url)")
        }
        guard let handle = evcsm_curl_easy_init() else { fatalError("curl_easy_init failed (out of memory)") }
        curlHandle = handle
        return handle
    }

    private func perform(_ request: HTTPClientRequest) throws(FunctionRuntimeError) -> HTTPClientResponse {
        let handle = try easyHandle(for: request)
        // Reset clears the options of the previous request but keeps live connections and caches.
        evcsm_curl_easy_reset(handle)
        errorBuffer[0] = 0
        let accumulator = ResponseAccumulator()
        let userData = Unmanaged.passUnretained(accumulator).toOpaque()
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { evcsm_curl_slist_free_all(headerList) }

        var code = evcsm_curl_easy_setopt_errorbuffer(handle, errorBuffer)
        func set(_ result: CURLcode) {
            if code == CURLE_OK { code = result }
        }
        set(evcsm_curl_easy_setopt_string(handle, CURLOPT_URL, request.url))
        set(evcsm_curl_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        set(evcsm_curl_easy_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1))
        set(evcsm_curl_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeout)))
        set(evcsm_curl_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(request.connectTimeout)))
        set(evcsm_curl_easy_setopt_write_callback(handle, CURLOPT_WRITEFUNCTION, curlWriteBody))
        set(evcsm_curl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, userData))
        set(evcsm_curl_easy_setopt_write_callback(handle, CURLOPT_HEADERFUNCTION, curlWriteHeader))
        set(evcsm_curl_easy_setopt_pointer(handle, CURLOPT_HEADERDATA, userData))

        let method = request.method.uppercased()
        switch method {
        case "GET":
            set(evcsm_curl_easy_setopt_long(handle, CURLOPT_HTTPGET, 1))
        case "HEAD":
            set(evcsm_curl_easy_setopt_long(handle, CURLOPT_NOBODY, 1))
        case "POST":
            set(evcsm_curl_easy_setopt_long(handle, CURLOPT_POST, 1))
        default:
            set(evcsm_curl_easy_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method))
        }
        if method == "POST" || !request.body.isEmpty {
            set(evcsm_curl_easy_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)))
            // COPYPOSTFIELDS copies the bytes into the handle, so they need not outlive this call.
            if request.body.isEmpty {
                set(evcsm_curl_easy_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, ""))
            } else {
                request.body.withUnsafeBytes { bytes in
                    set(evcsm_curl_easy_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, bytes.baseAddress))
                }
            }
        }

        var hasContentType = false
        var fields: [String] = []
        for (name, value) in request.headers {
            if name.lowercased() == "content-type" { hasContentType = true }
            fields.append("\(name): \(value)")
        }
        // No implicit `application/x-www-form-urlencoded` and no `Expect: 100-continue` round trip.
        if !hasContentType && (method == "POST" || !request.body.isEmpty) { fields.append("Content-Type:") }
        if let provider = request.awsSigV4, let credentials = request.awsCredentials {
            // No `Expect:` removal header here: libcurl's SigV4 (7.88) lists it in SignedHeaders but never sends it,
            // so AWS (and evcsm-local's verifier) refuses the signature. A zero wait sends the body at once instead.
            set(evcsm_curl_easy_setopt_long(handle, CURLOPT_EXPECT_100_TIMEOUT_MS, 0))
            set(evcsm_curl_easy_setopt_string(handle, CURLOPT_AWS_SIGV4, provider))
            set(evcsm_curl_easy_setopt_string(handle, CURLOPT_USERNAME, credentials.accessKeyID))
            set(evcsm_curl_easy_setopt_string(handle, CURLOPT_PASSWORD, credentials.secretAccessKey))
            if let token = credentials.sessionToken { fields.append("x-amz-security-token: \(token)") }
        } else {
            fields.append("Expect:")
        }
        for field in fields {
            headerList = evcsm_curl_slist_append(headerList, field)
        }
        set(evcsm_curl_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList))
        guard code == CURLE_OK else { throw failure(code, request) }

        let result = withExtendedLifetime(accumulator) { evcsm_curl_easy_perform(handle) }
        guard result == CURLE_OK else { throw failure(result, request) }
        var status = 0
        _ = evcsm_curl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPClientResponse(status: status, headers: accumulator.headers, body: accumulator.body)
    }

    private func failure(_ code: CURLcode, _ request: HTTPClientRequest) -> FunctionRuntimeError {
        var text = String(cString: errorBuffer)
        if text.isEmpty { text = String(cString: evcsm_curl_easy_strerror(code)) }
        return FunctionRuntimeError(.transport, "\(text) for \(request.method.uppercased()) \(request.url)")
    }

    /// A duration as whole milliseconds for curl (`0` means no limit; sub-millisecond rounds up to 1).
    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        guard seconds > 0 || attoseconds > 0 else { return 0 }
        let millis = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int(clamping: max(1, millis))
    }
}

/// Collects one response's headers and body from curl's callbacks.
final class ResponseAccumulator {
    var headers: [String: String] = [:]
    var body: [UInt8] = []

    /// One header line as curl hands it over (with its CRLF), read in place.
    func addHeaderLine(_ line: UnsafeBufferPointer<UInt8>) {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
        var start = line.startIndex
        var end = line.endIndex
        while start < end, isSpace(line[start]) { start += 1 }
        while end > start, isSpace(line[end - 1]) { end -= 1 }
        let trimmed = UnsafeBufferPointer(rebasing: line[start..<end])
        if trimmed.starts(with: "HTTP/".utf8) {
            // A new status line (after `100 Continue` or a redirect) starts a new header block.
            headers = [:]
            return
        }
        guard let colon = trimmed.firstIndex(of: UInt8(ascii: ":")) else { return }
        var valueStart = colon + 1
        while valueStart < trimmed.endIndex, isSpace(trimmed[valueStart]) { valueStart += 1 }
        let rawName = UnsafeBufferPointer(rebasing: trimmed[..<colon])
        let name =
            rawName.contains(where: { $0 &- UInt8(ascii: "A") < 26 })
            ? String(decoding: rawName, as: UTF8.self).lowercased() : String(decoding: rawName, as: UTF8.self)
        let value = String(decoding: UnsafeBufferPointer(rebasing: trimmed[valueStart...]), as: UTF8.self)
        if let existing = headers[name] {
            headers[name] = existing + ", " + value
        } else {
            headers[name] = value
        }
    }
}

private let curlWriteBody: evcsm_curl_write_callback = { pointer, size, count, userData in
    let length = size * count
    guard let userData else { return 0 }
    let accumulator = Unmanaged<ResponseAccumulator>.fromOpaque(userData).takeUnretainedValue()
    if let pointer, length > 0 {
        pointer.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
            accumulator.body.append(contentsOf: UnsafeBufferPointer(start: bytes, count: length))
        }
    }
    return length
}

private let curlWriteHeader: evcsm_curl_write_callback = { pointer, size, count, userData in
    let length = size * count
    guard let userData else { return 0 }
    let accumulator = Unmanaged<ResponseAccumulator>.fromOpaque(userData).takeUnretainedValue()
    if let pointer, length > 0 {
        pointer.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
            accumulator.addHeaderLine(UnsafeBufferPointer(start: bytes, count: length))
        }
    }
    return length
}
