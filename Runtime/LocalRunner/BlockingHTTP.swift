import Dispatch
import FunctionRuntime

/// One request over a blocking ``HTTPTransport`` (the functions' client: plain HTTP on loopback, libcurl for
/// https), run on a Dispatch thread so that the blocking call never holds a thread of Swift's cooperative pool.
/// The runner's `/data-api` proxy and the charger simulator use it; nothing in evcsm-local needs URLSession.
public enum BlockingHTTP {
    /// Sends `request` and returns its response, or the transport error when no HTTP answer arrived.
    public static func send(
        _ request: HTTPClientRequest, over transport: any HTTPTransport = CurlHTTPClient()
    ) async -> Result<HTTPClientResponse, FunctionRuntimeError> {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    returning: Result { () throws(FunctionRuntimeError) in try transport.send(request) })
            }
        }
    }
}
