package dev.sluice.sidecar.drain;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One HTTP/1.1 connection that the test holds, as a keep-alive client (a connection pool, another proxy)
 * does: requests one after another on the same socket, and a look at whether the server closed it.
 */
public final class KeepAliveConnection implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    public KeepAliveConnection(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        // Only a bound on a test that would otherwise hang: every read here has its answer on the way.
        socket.setSoTimeout(60_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** A response: its status, its headers by lower-case name, its body. */
    public record Response(int status, Map<String, String> headers, String body) {
        public boolean closesConnection() {
            return "close".equalsIgnoreCase(headers.get("connection"));
        }
    }

    /** Sends {@code GET path} without waiting for the answer. */
    public void send(String path) throws IOException {
        out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    public Response get(String path) throws IOException {
        send(path);
        return read();
    }

    /** The next response on the connection, its body read by Content-Length or chunks. */
    public Response read() throws IOException {
        String statusLine = line();
        Map<String, String> headers = new TreeMap<>();
        for (String header = line(); !header.isEmpty(); header = line()) {
            int colon = header.indexOf(':');
            headers.put(header.substring(0, colon).trim().toLowerCase(Locale.ROOT), header.substring(colon + 1).trim());
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            for (int size = Integer.parseInt(line().trim(), 16); size > 0; size = Integer.parseInt(line().trim(), 16)) {
                body.write(in.readNBytes(size));
                line();
            }
            line();
        } else if (headers.containsKey("content-length")) {
            body.write(in.readNBytes(Integer.parseInt(headers.get("content-length"))));
        }
        return new Response(Integer.parseInt(statusLine.split(" ")[1]), headers, body.toString(StandardCharsets.UTF_8));
    }

    /** Whether the server closed the connection: the next read finds its end rather than data. */
    public boolean closedByServer() throws IOException {
        return in.read() == -1;
    }

    private String line() throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c == -1) {
                throw new IOException("connection closed in the middle of a response, after '" + line + "'");
            }
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
