package dev.sluice.sidecar.drain;

import static dev.sluice.sidecar.H2Frames.ACK;
import static dev.sluice.sidecar.H2Frames.END_HEADERS;
import static dev.sluice.sidecar.H2Frames.END_STREAM;
import static dev.sluice.sidecar.H2Frames.HEADERS;
import static dev.sluice.sidecar.H2Frames.PING;
import static dev.sluice.sidecar.H2Frames.PREFACE;
import static dev.sluice.sidecar.H2Frames.SETTINGS;

import dev.sluice.sidecar.H2Frames;
import dev.sluice.sidecar.H2Frames.Frame;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One HTTP/2 connection by prior knowledge (as a gRPC client opens one), written frame by frame so that a
 * test sees what a client library hides: which frames arrive, in what order, and a GOAWAY among them.
 * Requests are GETs with a header block of HPACK's static table and literals, so no encoder is needed.
 */
final class H2Connection implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private int nextStream = 1;

    H2Connection(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        // Only a bound on a test that would otherwise hang: every read here has its frame on the way.
        socket.setSoTimeout(60_000);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
        out.write(PREFACE);
        write(SETTINGS, 0, 0, new byte[0]);
    }

    /** Sends {@code GET path} on a new stream; returns the stream's id. */
    int get(String path) throws IOException {
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        block.write(0x82); // :method GET (static table 2)
        block.write(0x86); // :scheme http (static table 6)
        literal(block, 4, path); // :path, a literal value with the static table's name
        literal(block, 1, "127.0.0.1"); // :authority
        int stream = nextStream;
        nextStream += 2;
        write(HEADERS, END_STREAM | END_HEADERS, stream, block.toByteArray());
        return stream;
    }

    /** Sends a PING; the server answers it in order with what it sends on the connection. */
    void ping() throws IOException {
        write(PING, 0, 0, new byte[8]);
    }

    /**
     * The frames that arrive until one matches {@code last} (included), acknowledging the server's
     * SETTINGS on the way as a client must.
     */
    List<Frame> readUntil(java.util.function.Predicate<Frame> last) throws IOException {
        List<Frame> frames = new ArrayList<>();
        while (true) {
            Frame frame = H2Frames.read(in);
            if (frame.type() == SETTINGS && (frame.flags() & ACK) == 0) {
                write(SETTINGS, ACK, 0, new byte[0]);
            }
            frames.add(frame);
            if (last.test(frame)) {
                return frames;
            }
        }
    }

    private static void literal(ByteArrayOutputStream block, int nameIndex, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
        block.write(nameIndex); // literal without indexing, name from the static table (0000 xxxx)
        block.write(bytes.length); // no Huffman, under 127 bytes
        block.writeBytes(bytes);
    }

    private void write(int type, int flags, int stream, byte[] payload) throws IOException {
        H2Frames.write(out, type, flags, stream, payload);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
