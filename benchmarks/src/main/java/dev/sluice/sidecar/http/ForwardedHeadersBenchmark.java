package dev.sluice.sidecar.http;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the forwarder does to every request's and response's headers before a byte moves
 * ({@code Transport.copyRequestHeaders} and {@code copyResponseHead}): hop-by-hop headers dropped, the
 * rest copied, and for the app the {@code X-Forwarded-*} headers added. The map the copy goes into is
 * new each time, as each attempt's {@code ClientRequest} is, so its own allocation is in the figures;
 * compare B/op ({@code -prof gc}) between builds rather than reading it alone. This class sits in the
 * sidecar's package because {@code Transport} is package-private there.
 *
 * <p>Run from the repository root: {@code java -jar benchmarks/target/benchmarks.jar ForwardedHeadersBenchmark -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ForwardedHeadersBenchmark {

    @State(Scope.Thread)
    public static class Request {
        /** {@code inbound}: the app, Host kept and X-Forwarded-* added; {@code outbound}: a third-party API, Host replaced. */
        @Param({"inbound", "outbound"})
        public String client;

        HttpServerExchange exchange;
        UpstreamClient upstream;

        @Setup
        public void build() {
            upstream = client.equals("inbound") ? UpstreamClient.inbound(URI.create("http://127.0.0.1:8080"), 1)
                    : UpstreamClient.outbound(URI.create("https://api.example.com/v1"), 1);
            // No connection: the exchange is only read, and its addresses are set rather than asked of a socket.
            exchange = new HttpServerExchange(null);
            exchange.setSourceAddress(new InetSocketAddress("192.0.2.10", 53211));
            exchange.setDestinationAddress(new InetSocketAddress("10.0.0.5", 8000));
            exchange.setRequestScheme("http");
            HeaderMap headers = exchange.getRequestHeaders();
            headers.put(Headers.HOST, "shop.example.com:8000");
            headers.put(Headers.USER_AGENT, "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0");
            headers.put(Headers.ACCEPT, "application/json");
            headers.put(Headers.ACCEPT_ENCODING, "gzip, deflate, br");
            headers.put(Headers.CONNECTION, "keep-alive");
            headers.put(Headers.KEEP_ALIVE, "timeout=5");
            headers.put(new HttpString("X-Api-Key"), "key-00042");
            headers.put(Headers.COOKIE, "session=0123456789abcdef");
            headers.put(Headers.X_FORWARDED_FOR, "198.51.100.7");
        }
    }

    @State(Scope.Thread)
    public static class Response {
        HeaderMap upstream;

        @Setup
        public void build() {
            upstream = new HeaderMap();
            upstream.put(Headers.CONTENT_TYPE, "application/json");
            upstream.put(Headers.CONTENT_LENGTH, "512");
            upstream.put(Headers.CONNECTION, "keep-alive");
            upstream.put(Headers.KEEP_ALIVE, "timeout=5");
            upstream.put(Headers.CACHE_CONTROL, "no-store");
            upstream.put(Headers.DATE, "Fri, 27 Nov 2026 21:00:00 GMT");
            upstream.put(new HttpString("X-Request-Id"), "f3a9c2e1");
        }
    }

    @Benchmark
    public HeaderMap requestHeaders(Request request) {
        HeaderMap out = new HeaderMap();
        Transport.copyRequestHeaders(request.exchange, null, request.upstream, out);
        return out;
    }

    @Benchmark
    public HeaderMap responseHeaders(Response response) {
        HeaderMap out = new HeaderMap();
        Transport.copyResponseHeaders(response.upstream, out);
        return out;
    }
}
